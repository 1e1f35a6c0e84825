using EmailPipeline.Contracts;
using EmailPipeline.Queue.Dsn;
using EmailPipeline.Queue.Lifecycle;
using EmailPipeline.Queue.Scheduling;
using EmailPipeline.Queue.State;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.Lifecycle;

/// <summary>One test per row of the decision table in <see cref="RecipientLifecycle"/>, plus its invariants.</summary>
public sealed class RecipientLifecycleTests
{
    private const string Id = "01TESTMESSAGE00000000000000";
    private static readonly DateTimeOffset Now = Epoch.AddMinutes(10);
    private static readonly byte[] Body = "Subject: x\r\n\r\nbody\r\n"u8.ToArray();

    private static LifecycleRules Rules(DateTimeOffset? now = null, params string[] mustWait)
    {
        int n = 0;
        return new LifecycleRules(now ?? Now, TimeSpan.FromDays(5), TimeSpan.FromHours(4),
            new RetrySchedule([TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)]), new DelayLadder([TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)]),
            TimeSpan.FromHours(1), mustWait.ToHashSet(), () => "w" + ++n);
    }

    private static RecipientRecord Rcpt(string address, RecipientState state, string? work, DsnNotify notify = DsnNotify.Default, DateTimeOffset? next = null, DsnKinds sent = DsnKinds.None) =>
        new(Id, address, address[(address.IndexOf('@') + 1)..], notify, null, state, 1, next, 451, "4.7.1", "451 4.7.1 Greylisted", "mx.example.org", Epoch)
        {
            WorkId = work,
            DsnSent = sent,
        };

    private static MessageRecord Message(params RecipientRecord[] recipients) => Message("sender@example.org", held: false, bounce: false, recipients);

    private static MessageRecord Message(string sender, bool held, bool bounce, params RecipientRecord[] recipients) =>
        new(Id, sender, null, DsnReturn.Unspecified, false, Epoch, 100, held, false, bounce, false, recipients) { Version = 3 };

    private static DeliveryAttempted Outcome(string attemptId, int number, params RecipientOutcome[] outcomes) =>
        Attempt(Id, attemptId, number, Now, outcomes) with { Content = Body };

    private static DeliveryRetryDue Retry(string attemptId, DateTimeOffset due, params string[] recipients) => new(new DeliveryRequested
    {
        MessageId = Id, AttemptId = attemptId, Destination = "example.net", Sender = "sender@example.org",
        Recipients = recipients.Select(r => new EnvelopeRecipient(r, DsnNotify.Default, null)).ToArray(), AttemptNumber = 2, Content = Body,
    }, due);

    private static LifecycleDecision Decide(MessageRecord? message, LifecycleInput input, LifecycleRules? rules = null) =>
        RecipientLifecycle.Decide(message, input, rules ?? Rules());

    private static RecipientChange Change(LifecycleDecision d, string address) => Assert.Single(d.Changes, c => c.Address == address);

    [Fact]
    public void Accepted_message_queues_one_delivery_per_destination()
    {
        MessageAccepted m = Accepted(Id, "s@example.org", Epoch, "a@example.net", "b@example.net", "c@example.com");

        LifecycleDecision d = Decide(null, new LifecycleInput.Accepted(m));

        Assert.Same(m, d.NewMessage);
        Assert.All(d.Changes, c => Assert.Equal(RecipientState.Queued, c.State));
        var deliveries = d.Outputs.Cast<LifecycleOutput.Deliver>().OrderBy(o => o.Destination).ToArray();
        Assert.Equal(["example.com", "example.net"], deliveries.Select(o => o.Destination));
        Assert.Equal(["a@example.net", "b@example.net"], deliveries[1].Recipients.Select(r => r.Address));
        Assert.Equal(deliveries[1].AttemptId, Change(d, "a@example.net").WorkId);
        Assert.NotEqual(deliveries[0].AttemptId, deliveries[1].AttemptId);
    }

    [Fact]
    public void Accepted_message_for_a_destination_over_its_limits_waits_one_delay_step()
    {
        MessageAccepted m = Accepted(Id, "s@example.org", Epoch, "a@example.net");

        LifecycleDecision d = Decide(null, new LifecycleInput.Accepted(m), Rules(mustWait: "example.net"));

        Assert.Equal(RecipientState.Deferred, Change(d, "a@example.net").State);
        var delay = Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs));
        Assert.Equal(TimeSpan.FromSeconds(5), delay.Hop);
        Assert.Equal(Change(d, "a@example.net").WorkId, delay.AttemptId);
    }

    [Fact]
    public void A_second_copy_of_an_accepted_message_changes_nothing()
    {
        MessageAccepted m = Accepted(Id, "s@example.org", Epoch, "a@example.net");

        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w1")), new LifecycleInput.Accepted(m));

        Assert.False(d.ChangesAnything);
    }

    [Fact]
    public void Delivered_outcome_is_final_and_sends_no_dsn_unless_success_was_asked()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w1")), new LifecycleInput.Attempted(Outcome("w1", 1, Delivered("a@example.net"))));

        Assert.Equal(RecipientState.Delivered, Change(d, "a@example.net").State);
        Assert.Null(Change(d, "a@example.net").WorkId);
        Assert.Empty(d.Outputs);
        Assert.Single(d.Attempts);
    }

    [Fact]
    public void Delivered_outcome_with_notify_success_sends_one_success_dsn()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w1", DsnNotify.Success)),
            new LifecycleInput.Attempted(Outcome("w1", 1, Delivered("a@example.net"))));

        var dsn = Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs));
        Assert.Equal(DsnKind.Success, dsn.Kind);
        Assert.Equal(DsnKinds.Success, Change(d, "a@example.net").DsnSent);
    }

    [Fact]
    public void Bounced_outcome_is_final_with_one_failure_dsn()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w1")), new LifecycleInput.Attempted(Outcome("w1", 1, Bounced("a@example.net"))));

        Assert.Equal(RecipientState.Bounced, Change(d, "a@example.net").State);
        var dsn = Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs));
        Assert.Equal(DsnKind.Failure, dsn.Kind);
        Assert.Equal("5.1.1", Assert.Single(dsn.Recipients).Status);
        Assert.Equal(DsnKinds.Failure, Change(d, "a@example.net").DsnSent);
    }

    [Fact]
    public void Bounce_for_the_null_sender_sends_no_dsn()
    {
        LifecycleDecision d = Decide(Message("", false, false, Rcpt("a@example.net", RecipientState.Queued, "w1")),
            new LifecycleInput.Attempted(Outcome("w1", 1, Bounced("a@example.net"))));

        Assert.Equal(RecipientState.Bounced, Change(d, "a@example.net").State);
        Assert.Empty(d.Outputs);
    }

    [Fact]
    public void Bounce_with_notify_never_sends_no_dsn()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w1", DsnNotify.Never)),
            new LifecycleInput.Attempted(Outcome("w1", 1, Bounced("a@example.net"))));

        Assert.Empty(d.Outputs);
    }

    [Fact]
    public void Deferred_outcome_waits_in_the_delay_queues_under_a_new_work_id()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w0")), new LifecycleInput.Attempted(Outcome("w0", 1, Deferred("a@example.net"))));

        RecipientChange c = Change(d, "a@example.net");
        Assert.Equal(RecipientState.Deferred, c.State);
        Assert.Equal("w1", c.WorkId);
        Assert.Equal(Now + TimeSpan.FromMinutes(1), c.NextAttemptAt);
        var delay = Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs));
        Assert.Equal(("w1", 2, TimeSpan.FromMinutes(1)), (delay.AttemptId, delay.AttemptNumber, delay.Hop));
    }

    [Fact]
    public void Deferred_outcome_past_the_delay_notice_age_sends_one_delay_dsn()
    {
        var rules = Rules(Epoch.AddHours(5));
        MessageRecord m = Message(Rcpt("a@example.net", RecipientState.Queued, "w0", DsnNotify.Delay | DsnNotify.Failure));

        LifecycleDecision first = Decide(m, new LifecycleInput.Attempted(Outcome("w0", 3, Deferred("a@example.net"))), rules);
        var notice = Assert.Single(first.Outputs.OfType<LifecycleOutput.Notify>());
        Assert.Equal(DsnKind.Delay, notice.Kind);

        // The next deferral of the same recipient sends none: one per kind.
        MessageRecord later = Message(Rcpt("a@example.net", RecipientState.Queued, "w9", DsnNotify.Delay | DsnNotify.Failure, sent: Change(first, "a@example.net").DsnSent));
        LifecycleDecision second = Decide(later, new LifecycleInput.Attempted(Outcome("w9", 4, Deferred("a@example.net"))), rules);
        Assert.Empty(second.Outputs.OfType<LifecycleOutput.Notify>());
    }

    [Fact]
    public void Deferred_outcome_past_the_lifetime_expires_with_a_failure_dsn()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w0")),
            new LifecycleInput.Attempted(Outcome("w0", 9, Deferred("a@example.net"))), Rules(Epoch.AddDays(6)));

        Assert.Equal(RecipientState.Expired, Change(d, "a@example.net").State);
        Assert.Equal(DsnKind.Failure, Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs)).Kind);
    }

    [Fact]
    public void Deferred_outcome_of_a_message_the_operator_bounced_bounces_with_a_dsn()
    {
        LifecycleDecision d = Decide(Message("s@example.org", held: false, bounce: true, Rcpt("a@example.net", RecipientState.Queued, "w0")),
            new LifecycleInput.Attempted(Outcome("w0", 1, Deferred("a@example.net"))));

        Assert.Equal(RecipientState.Bounced, Change(d, "a@example.net").State);
        Assert.Equal("5.0.0", Assert.Single(Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs)).Recipients).Status);
    }

    [Fact]
    public void Outcome_for_a_recipient_the_operator_deleted_while_in_flight_changes_nothing()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deleted, null)), new LifecycleInput.Attempted(Outcome("w0", 1, Bounced("a@example.net"))));

        Assert.False(d.ChangesAnything);
    }

    [Fact]
    public void The_same_outcome_twice_changes_nothing_the_second_time()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Bounced, null, sent: DsnKinds.Failure)),
            new LifecycleInput.Attempted(Outcome("w0", 1, Bounced("a@example.net"))));

        Assert.False(d.ChangesAnything);
    }

    [Fact]
    public void An_outcome_of_older_work_arriving_late_changes_nothing()
    {
        // Deferred under w2 already; an outcome of w1 (a duplicate publish of an earlier attempt) is stale.
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w2")), new LifecycleInput.Attempted(Outcome("w1", 1, Delivered("a@example.net"))));

        Assert.False(d.ChangesAnything);
    }

    [Fact]
    public void An_operator_outcome_for_deferred_work_ends_it()
    {
        // A purged dead letter of a retry becomes an outcome for the work the recipient waits on.
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w2")), new LifecycleInput.Attempted(Outcome("w2", 2, Bounced("a@example.net"))));

        Assert.Equal(RecipientState.Bounced, Change(d, "a@example.net").State);
    }

    [Fact]
    public void Outcomes_for_two_recipients_split_between_final_and_retry()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w0"), Rcpt("b@example.net", RecipientState.Queued, "w0")),
            new LifecycleInput.Attempted(Outcome("w0", 1, Delivered("a@example.net"), Deferred("b@example.net"))));

        Assert.Equal(RecipientState.Delivered, Change(d, "a@example.net").State);
        Assert.Equal(RecipientState.Deferred, Change(d, "b@example.net").State);
        Assert.Equal(["b@example.net"], Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs)).Recipients.Select(r => r.Address));
    }

    [Fact]
    public void Retry_due_goes_to_delivery_under_its_work_id()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w5", next: Now)), new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")));

        Assert.Equal(RecipientState.Queued, Change(d, "a@example.net").State);
        Assert.Equal("w5", Assert.IsType<LifecycleOutput.Deliver>(Assert.Single(d.Outputs)).AttemptId);
    }

    [Fact]
    public void Retry_not_yet_due_takes_its_next_hop_without_a_state_change()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w5")), new LifecycleInput.RetryDue(Retry("w5", Now.AddMinutes(3), "a@example.net")));

        Assert.Empty(d.Changes);
        var delay = Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs));
        Assert.Equal(TimeSpan.FromMinutes(1), delay.Hop);
        Assert.Equal(Now.AddMinutes(3), delay.DueAt);
    }

    [Fact]
    public void Retry_of_a_held_message_circles_the_longest_step()
    {
        LifecycleDecision d = Decide(Message("s@example.org", held: true, bounce: false, Rcpt("a@example.net", RecipientState.Deferred, "w5")),
            new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")));

        Assert.Equal(TimeSpan.FromHours(1), Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs)).Hop);
    }

    [Fact]
    public void Retry_due_for_a_destination_over_its_limits_waits_one_more_step()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w5")), new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")),
            Rules(mustWait: "example.net"));

        Assert.Equal(RecipientState.Deferred, Change(d, "a@example.net").State);
        Assert.Equal(TimeSpan.FromSeconds(5), Assert.IsType<LifecycleOutput.Delay>(Assert.Single(d.Outputs)).Hop);
    }

    [Fact]
    public void Retry_of_a_message_the_operator_bounced_bounces_with_a_dsn()
    {
        LifecycleDecision d = Decide(Message("s@example.org", held: false, bounce: true, Rcpt("a@example.net", RecipientState.Deferred, "w5")),
            new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")));

        Assert.Equal(RecipientState.Bounced, Change(d, "a@example.net").State);
        Assert.Single(d.Outputs.OfType<LifecycleOutput.Notify>());
    }

    [Fact]
    public void Retry_past_the_lifetime_expires_with_a_dsn()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Deferred, "w5")), new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")),
            Rules(Epoch.AddDays(5)));

        Assert.Equal(RecipientState.Expired, Change(d, "a@example.net").State);
        Assert.Equal("4.7.1", Assert.Single(Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs)).Recipients).Status);
    }

    [Fact]
    public void A_second_copy_of_a_retry_after_it_was_dispatched_changes_nothing()
    {
        LifecycleDecision d = Decide(Message(Rcpt("a@example.net", RecipientState.Queued, "w5")), new LifecycleInput.RetryDue(Retry("w5", Now, "a@example.net")));

        Assert.False(d.ChangesAnything);
    }

    [Fact]
    public void Sweep_expires_a_deferred_recipient_whose_retry_never_surfaced()
    {
        MessageRecord m = Message(Rcpt("a@example.net", RecipientState.Deferred, "w5", next: Now.AddHours(-3)));

        LifecycleDecision d = Decide(m, new LifecycleInput.Swept(Id));

        Assert.Equal(RecipientState.Expired, Change(d, "a@example.net").State);
        Assert.Equal("4.4.7", Assert.Single(Assert.IsType<LifecycleOutput.Notify>(Assert.Single(d.Outputs)).Recipients).Status);
    }

    [Fact]
    public void Sweep_leaves_a_retry_that_may_still_surface_and_a_delivery_in_flight_alone()
    {
        MessageRecord m = Message(Rcpt("a@example.net", RecipientState.Deferred, "w5", next: Now.AddMinutes(-30)), Rcpt("b@example.com", RecipientState.Queued, "w6"));

        Assert.False(Decide(m, new LifecycleInput.Swept(Id)).ChangesAnything);
    }

    [Fact]
    public void Nothing_but_an_accepted_message_acts_on_an_unknown_one()
    {
        Assert.False(Decide(null, new LifecycleInput.Attempted(Outcome("w0", 1, Delivered("a@example.net")))).ChangesAnything);
        Assert.False(Decide(null, new LifecycleInput.RetryDue(Retry("w0", Now, "a@example.net"))).ChangesAnything);
        Assert.False(Decide(null, new LifecycleInput.Swept(Id)).ChangesAnything);
    }
}
