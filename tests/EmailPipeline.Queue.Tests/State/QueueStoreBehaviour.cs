using EmailPipeline.Contracts;
using EmailPipeline.Queue.State;
using EmailPipeline.Queue.Tests.Infrastructure;
using static EmailPipeline.Queue.Tests.Infrastructure.TestMessages;

namespace EmailPipeline.Queue.Tests.State;

/// <summary>The behaviour every <see cref="IQueueStore"/> must show; run once per engine by the subclasses.</summary>
public abstract class QueueStoreBehaviour : IAsyncLifetime
{
    private SqlQueueStore? _store;

    protected ManualTime Clock { get; } = new(Epoch.AddHours(1));

    protected SqlQueueStore Store => _store ?? throw new InvalidOperationException("not initialised");

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A store over an empty database.</summary>
    protected abstract Task<SqlQueueStore> CreateEmptyStoreAsync();

    /// <summary>A second store over the same database, as after a restart.</summary>
    protected abstract SqlQueueStore Reopen();

    public async ValueTask InitializeAsync()
    {
        _store = await CreateEmptyStoreAsync();
        await _store.InitializeAsync(Ct);
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task A_retry_marks_recipients_queued_only_while_they_wait_for_that_retry()
    {
        MessageAccepted m = Accepted("a@example.com", Epoch, "x@dest.test", "y@dest.test");
        await Store.AddMessageAsync(m, Ct);
        DateTimeOffset due = Epoch.AddMinutes(5);
        await Store.SetStateAsync(m.MessageId, ["x@dest.test", "y@dest.test"], RecipientState.Deferred, due, Ct);

        // y's next outcome already came back (deferred again, due later): the older retry must not touch it.
        await Store.SetStateAsync(m.MessageId, ["y@dest.test"], RecipientState.Deferred, due.AddMinutes(15), Ct);
        await Store.MarkRetryDispatchedAsync(m.MessageId, ["x@dest.test", "y@dest.test"], due, Ct);

        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.Equal(RecipientState.Queued, got.Recipients.Single(r => r.Address == "x@dest.test").State);
        RecipientRecord y = got.Recipients.Single(r => r.Address == "y@dest.test");
        Assert.Equal(RecipientState.Deferred, y.State);
        Assert.Equal(due.AddMinutes(15), y.NextAttemptAt);
    }

    [Fact]
    public async Task In_flight_and_recent_attempt_counts_are_per_destination()
    {
        MessageAccepted first = Accepted("a@example.com", Epoch, "x@dest.test", "y@dest.test", "z@other.test");
        MessageAccepted second = Accepted("a@example.com", Epoch, "w@dest.test");
        await Store.AddMessageAsync(first, Ct);
        await Store.AddMessageAsync(second, Ct);

        // Deliveries in flight are messages, not recipients; the asking message itself does not count.
        Assert.Equal(2, await Store.CountInFlightAsync("DEST.test", "none", Ct));
        Assert.Equal(1, await Store.CountInFlightAsync("dest.test", second.MessageId, Ct));
        Assert.Equal(1, await Store.CountInFlightAsync("other.test", "none", Ct));

        await Store.RecordAttemptAsync(Attempt(first.MessageId, "att-1", 1, Epoch.AddSeconds(30), Delivered("x@dest.test"), Deferred("y@dest.test")), Ct);
        await Store.RecordAttemptAsync(Attempt(second.MessageId, "att-2", 1, Epoch.AddSeconds(90), Delivered("w@dest.test")), Ct);
        Assert.Equal(0, await Store.CountInFlightAsync("dest.test", "none", Ct));
        Assert.Equal(2, await Store.CountAttemptsSinceAsync("dest.test", Epoch, Ct));
        Assert.Equal(1, await Store.CountAttemptsSinceAsync("dest.test", Epoch.AddMinutes(1), Ct));
        Assert.Equal(0, await Store.CountAttemptsSinceAsync("other.test", Epoch, Ct));
    }

    [Fact]
    public async Task Added_message_reads_back_with_every_recipient_queued()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "bob@Example.ORG", "carol@example.net");

        Assert.True(await Store.AddMessageAsync(m, Ct));

        MessageRecord? got = await Store.GetAsync(m.MessageId, Ct);
        Assert.NotNull(got);
        Assert.Equal("alice@example.com", got.Sender);
        Assert.Equal("env-" + m.MessageId, got.EnvelopeId);
        Assert.Equal(DsnReturn.Headers, got.Return);
        Assert.Equal(Epoch, got.ReceivedAt);
        Assert.Equal(m.Content.Length, got.Size);
        Assert.False(got.Held || got.FlushRequested || got.BounceRequested || got.DelayDsnSent);
        Assert.Equal(["bob@Example.ORG", "carol@example.net"], got.Recipients.Select(r => r.Address));
        RecipientRecord bob = got.Recipients[0];
        Assert.Equal("example.org", bob.Domain);
        Assert.Equal(DsnNotify.Failure | DsnNotify.Delay, bob.Notify);
        Assert.Equal("rfc822;bob@Example.ORG", bob.OriginalRecipient);
        Assert.Equal(RecipientState.Queued, bob.State);
        Assert.Equal(0, bob.Attempts);
        Assert.Null(bob.LastReplyCode);
        Assert.Equal(Clock.Now, bob.UpdatedAt);
    }

    [Fact]
    public async Task Adding_a_known_id_again_returns_false_and_keeps_one_copy()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "bob@example.org");
        Assert.True(await Store.AddMessageAsync(m, Ct));
        await Store.RecordAttemptAsync(Attempt(m.MessageId, "a1", 1, Epoch, Deferred("bob@example.org")), Ct);

        Assert.False(await Store.AddMessageAsync(m with { Envelope = m.Envelope with { Sender = "mallory@example.com" } }, Ct));

        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.Equal("alice@example.com", got.Sender);
        Assert.Equal(RecipientState.Deferred, Assert.Single(got.Recipients).State);
    }

    [Fact]
    public async Task Unknown_id_reads_as_null()
    {
        Assert.Null(await Store.GetAsync("nope", Ct));
        Assert.Empty(await Store.GetAttemptsAsync("nope", Ct));
    }

    [Fact]
    public async Task Attempt_sets_each_recipient_from_its_outcome_with_the_reply()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org", "b@example.org", "c@example.org");
        await Store.AddMessageAsync(m, Ct);

        Assert.True(await Store.RecordAttemptAsync(
            Attempt(m.MessageId, "att-1", 1, Epoch.AddMinutes(1), Delivered("a@example.org"), Deferred("b@example.org"), Bounced("c@example.org")), Ct));

        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.Equal([RecipientState.Delivered, RecipientState.Deferred, RecipientState.Bounced], got.Recipients.Select(r => r.State));
        RecipientRecord c = got.Recipients[2];
        Assert.Equal(1, c.Attempts);
        Assert.Equal(550, c.LastReplyCode);
        Assert.Equal("5.1.1", c.LastEnhancedStatus);
        Assert.Equal("550 5.1.1 No such user", c.LastDiagnostic);
        Assert.Equal("mx.example.org", c.LastRemoteHost);

        IReadOnlyList<AttemptRecord> attempts = await Store.GetAttemptsAsync(m.MessageId, Ct);
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal(("att-1", 1, Epoch.AddMinutes(1)), (a.AttemptId, a.AttemptNumber, a.AttemptedAt)));
        Assert.Equal(DeliveryOutcome.Deferred, attempts.Single(a => a.Recipient == "b@example.org").Outcome);
    }

    [Fact]
    public async Task Recording_the_same_attempt_twice_returns_false_and_changes_nothing()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org");
        await Store.AddMessageAsync(m, Ct);
        Assert.True(await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Deferred("a@example.org")), Ct));

        // A redelivered DeliveryAttempted, even with a different outcome, must not count twice.
        Assert.False(await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Delivered("a@example.org")), Ct));

        RecipientRecord a = Assert.Single((await Store.GetAsync(m.MessageId, Ct))!.Recipients);
        Assert.Equal((RecipientState.Deferred, 1), (a.State, a.Attempts));
        Assert.Single(await Store.GetAttemptsAsync(m.MessageId, Ct));
    }

    [Fact]
    public async Task An_attempt_id_seen_with_other_recipients_is_still_a_duplicate()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org", "b@example.org");
        await Store.AddMessageAsync(m, Ct);
        Assert.True(await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Deferred("a@example.org")), Ct));

        Assert.False(await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Delivered("b@example.org")), Ct));

        Assert.Equal(RecipientState.Queued, (await Store.GetAsync(m.MessageId, Ct))!.Recipients[1].State);
    }

    [Fact]
    public async Task Final_recipients_are_never_changed_by_a_later_attempt()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org", "b@example.org");
        await Store.AddMessageAsync(m, Ct);
        await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Delivered("a@example.org"), Deferred("b@example.org")), Ct);

        Assert.True(await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-2", 2, Epoch.AddMinutes(5), Bounced("a@example.org"), Delivered("b@example.org")), Ct));

        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.Equal((RecipientState.Delivered, 1, 250), (got.Recipients[0].State, got.Recipients[0].Attempts, got.Recipients[0].LastReplyCode));
        Assert.Equal((RecipientState.Delivered, 2), (got.Recipients[1].State, got.Recipients[1].Attempts));
        Assert.Equal(4, (await Store.GetAttemptsAsync(m.MessageId, Ct)).Count);
    }

    [Fact]
    public async Task Concurrent_copies_of_one_attempt_are_recorded_once()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org");
        await Store.AddMessageAsync(m, Ct);
        DeliveryAttempted attempt = Attempt(m.MessageId, "att-race", 1, Epoch, Deferred("a@example.org"));

        bool[] results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.RecordAttemptAsync(attempt, Ct))));

        Assert.Single(results, r => r);
        Assert.Equal(1, Assert.Single((await Store.GetAsync(m.MessageId, Ct))!.Recipients).Attempts);
    }

    [Fact]
    public async Task SetState_moves_open_recipients_and_leaves_final_ones()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org", "b@example.org", "c@example.org");
        await Store.AddMessageAsync(m, Ct);
        await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Delivered("a@example.org"), Deferred("b@example.org")), Ct);
        DateTimeOffset next = Epoch.AddMinutes(10);

        await Store.SetStateAsync(m.MessageId, ["b@example.org", "c@example.org"], RecipientState.Deferred, next, Ct);
        await Store.SetStateAsync(m.MessageId, ["a@example.org", "b@example.org"], RecipientState.Expired, null, Ct);

        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.Equal([RecipientState.Delivered, RecipientState.Expired, RecipientState.Deferred], got.Recipients.Select(r => r.State));
        Assert.Equal(next, got.Recipients[2].NextAttemptAt);
        Assert.Null(got.Recipients[1].NextAttemptAt);
    }

    [Fact]
    public async Task Operator_flags_are_set_and_cleared_and_unknown_ids_report_false()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org");
        await Store.AddMessageAsync(m, Ct);

        Assert.True(await Store.SetHeldAsync(m.MessageId, true, Ct));
        Assert.True(await Store.RequestBounceAsync(m.MessageId, Ct));
        await Store.MarkDelayDsnSentAsync(m.MessageId, Ct);
        MessageRecord got = (await Store.GetAsync(m.MessageId, Ct))!;
        Assert.True(got.Held && got.BounceRequested && got.DelayDsnSent);

        Assert.True(await Store.SetHeldAsync(m.MessageId, false, Ct));
        Assert.False((await Store.GetAsync(m.MessageId, Ct))!.Held);

        Assert.False(await Store.SetHeldAsync("unknown", true, Ct));
        Assert.False(await Store.RequestBounceAsync("unknown", Ct));
    }

    [Fact]
    public async Task Flush_marks_only_messages_with_deferred_recipients()
    {
        MessageAccepted deferred = Accepted("alice@example.com", Epoch, "a@example.org");
        MessageAccepted queued = Accepted("alice@example.com", Epoch, "b@example.org");
        MessageAccepted other = Accepted("alice@example.com", Epoch, "c@example.org");
        await Store.AddMessagesAsync([deferred, queued, other], Ct);
        await Store.RecordAttemptAsync(Attempt(deferred.MessageId, "x1", 1, Epoch, Deferred("a@example.org")), Ct);
        await Store.RecordAttemptAsync(Attempt(other.MessageId, "x2", 1, Epoch, Deferred("c@example.org")), Ct);

        Assert.Equal(1, await Store.RequestFlushAsync(deferred.MessageId, Ct));
        Assert.Equal(0, await Store.RequestFlushAsync(queued.MessageId, Ct));
        Assert.Equal(2, await Store.RequestFlushAsync(null, Ct));
        Assert.True((await Store.GetAsync(other.MessageId, Ct))!.FlushRequested);
        Assert.False((await Store.GetAsync(queued.MessageId, Ct))!.FlushRequested);

        await Store.ClearFlushAsync(deferred.MessageId, Ct);
        Assert.False((await Store.GetAsync(deferred.MessageId, Ct))!.FlushRequested);
    }

    [Fact]
    public async Task List_filters_by_sender_recipient_domain_state_and_age()
    {
        MessageAccepted old = Accepted("alice@example.com", Epoch.AddMinutes(-90), "x@old.example", "y@other.example");
        MessageAccepted fresh = Accepted("bob@example.com", Epoch.AddMinutes(50), "z@new.example");
        MessageAccepted done = Accepted("alice@example.com", Epoch, "w@done.example");
        await Store.AddMessagesAsync([fresh, old, done], Ct);
        await Store.RecordAttemptAsync(Attempt(old.MessageId, "o1", 1, Epoch, Deferred("x@old.example")), Ct);
        await Store.RecordAttemptAsync(Attempt(done.MessageId, "d1", 1, Epoch, Delivered("w@done.example")), Ct);

        async Task<string[]> Ids(QueueFilter f) => [.. (await Store.ListAsync(f, Ct)).Select(m => m.MessageId)];

        Assert.Equal([old.MessageId, fresh.MessageId], await Ids(new QueueFilter()));
        Assert.Equal([old.MessageId, done.MessageId, fresh.MessageId], await Ids(new QueueFilter { IncludeFinished = true }));
        Assert.Equal([old.MessageId], await Ids(new QueueFilter { Sender = "alice@example.com" }));
        Assert.Equal([fresh.MessageId], await Ids(new QueueFilter { Recipient = "z@new.example" }));
        Assert.Equal([old.MessageId], await Ids(new QueueFilter { Domain = "OTHER.example" }));
        Assert.Equal([old.MessageId], await Ids(new QueueFilter { State = RecipientState.Deferred }));
        Assert.Equal([old.MessageId, fresh.MessageId], await Ids(new QueueFilter { State = RecipientState.Queued }));
        Assert.Empty(await Ids(new QueueFilter { State = RecipientState.Deferred, Domain = "other.example" }));
        Assert.Equal([done.MessageId], await Ids(new QueueFilter { State = RecipientState.Delivered, IncludeFinished = true }));
        Assert.Equal([old.MessageId], await Ids(new QueueFilter { OlderThan = TimeSpan.FromHours(2) }));
        Assert.Equal([old.MessageId], await Ids(new QueueFilter { Limit = 1 }));

        MessageRecord listed = (await Store.ListAsync(new QueueFilter { Recipient = "x@old.example" }, Ct))[0];
        Assert.Equal(2, listed.Recipients.Count);
    }

    [Fact]
    public async Task Counts_recipients_per_state()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org", "b@example.org", "c@example.org");
        await Store.AddMessageAsync(m, Ct);
        await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Delivered("a@example.org"), Deferred("b@example.org")), Ct);

        IReadOnlyDictionary<RecipientState, long> counts = await Store.CountByStateAsync(Ct);

        Assert.Equal(1, counts[RecipientState.Queued]);
        Assert.Equal(1, counts[RecipientState.Deferred]);
        Assert.Equal(1, counts[RecipientState.Delivered]);
        Assert.Equal(0, counts[RecipientState.Expired]);
    }

    [Fact]
    public async Task State_survives_a_new_store_over_the_same_database()
    {
        MessageAccepted m = Accepted("alice@example.com", Epoch, "a@example.org");
        await Store.AddMessageAsync(m, Ct);
        await Store.RecordAttemptAsync(Attempt(m.MessageId, "att-1", 1, Epoch, Deferred("a@example.org")), Ct);
        await Store.SetHeldAsync(m.MessageId, true, Ct);

        await using SqlQueueStore again = Reopen();
        await again.InitializeAsync(Ct);

        MessageRecord got = (await again.GetAsync(m.MessageId, Ct))!;
        Assert.True(got.Held);
        Assert.Equal(RecipientState.Deferred, Assert.Single(got.Recipients).State);
        Assert.False(await again.AddMessageAsync(m, Ct));
    }

    [Fact]
    public async Task A_destination_lock_excludes_a_second_decision_on_that_domain_until_released_and_no_other_domain()
    {
        IAsyncDisposable first = await Store.LockDestinationAsync("shaped.test", Ct);
        Task<IAsyncDisposable> second = Store.LockDestinationAsync("SHAPED.test", Ct);
        await using (await Store.LockDestinationAsync("other.test", Ct).WaitAsync(TimeSpan.FromSeconds(10), Ct))
        {
            // Another domain is never held up by this one.
        }

        await Task.Delay(300, Ct);
        Assert.False(second.IsCompleted, "a second decision on the same domain went ahead while the first held it");
        await first.DisposeAsync();
        await (await second.WaitAsync(TimeSpan.FromSeconds(10), Ct)).DisposeAsync();
    }
}
