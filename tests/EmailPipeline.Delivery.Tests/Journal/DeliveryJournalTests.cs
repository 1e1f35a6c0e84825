using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Delivering;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Tests.Faults;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailPipeline.Delivery.Tests.Journal;

public sealed class DeliveryJournalTests : IDisposable
{
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("delivery-journal-");
    private readonly ManualTime _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    private string JournalPath => Path.Combine(_dir.FullName, "data", "delivery.journal");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public void Accepted_recipients_survive_a_reload_with_their_reply()
    {
        using (DeliveryJournal journal = Open())
        {
            journal.Record("att1", [Delivered("a@x.test", "250 2.0.0 Ok: queued as 4Xy"), Outcomes.Deferred("b@x.test", "4.2.1", "451 4.2.1 busy", "mx.x.test", 451)]);
        }

        using DeliveryJournal reloaded = Open();
        Assert.True(reloaded.TryGet("att1", "a@x.test", out RecipientOutcome a));
        Assert.Equal((DeliveryOutcome.Delivered, 250, "2.0.0", "mx.x.test", "250 2.0.0 Ok: queued as 4Xy"), (a.Outcome, a.ReplyCode, a.EnhancedStatus, a.RemoteHost, a.Diagnostic));
        Assert.False(reloaded.TryGet("att1", "b@x.test", out _)); // only acceptances are journalled
        Assert.False(reloaded.TryGet("att2", "a@x.test", out _)); // keyed by attempt: a new attempt is a new delivery
        Assert.Equal(1, reloaded.Count);
    }

    [Fact]
    public void Records_are_in_the_file_before_record_returns_without_closing_it()
    {
        using DeliveryJournal journal = Open();
        journal.Record("att1", [Delivered("a@x.test")]);

        // What a kill -9 right now would leave: the page cache, read here by another process (the journal holds the lock).
        Assert.EndsWith(DeliveryJournal.Format("att1", Delivered("a@x.test")), ReadUnlocked(JournalPath), StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_process_on_the_same_file_runs_from_memory_and_leaves_the_file_alone()
    {
        using DeliveryJournal owner = Open();
        owner.Record("att1", [Delivered("a@x.test")]);
        string before = ReadUnlocked(JournalPath);

        using DeliveryJournal intruder = Open();
        intruder.Record("att2", [Delivered("b@x.test")]);

        Assert.True(intruder.TryGet("att2", "b@x.test", out _));
        Assert.Equal(before, ReadUnlocked(JournalPath));
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_the_next_record_starts_on_a_line_of_its_own()
    {
        using (DeliveryJournal journal = Open())
        {
            journal.Record("att1", [Delivered("a@x.test")]);
        }

        string torn = DeliveryJournal.Format("att2", Delivered("b@x.test"));
        File.AppendAllText(JournalPath, torn[..^8], Encoding.UTF8); // the crash cut the write short

        using (DeliveryJournal journal = Open())
        {
            Assert.True(journal.TryGet("att1", "a@x.test", out _));
            Assert.False(journal.TryGet("att2", "b@x.test", out _));
            journal.Record("att3", [Delivered("c@x.test")]);
        }

        using DeliveryJournal reloaded = Open();
        Assert.True(reloaded.TryGet("att1", "a@x.test", out _));
        Assert.True(reloaded.TryGet("att3", "c@x.test", out _));
        Assert.Equal(2, reloaded.Count);
    }

    [Fact]
    public void Unreadable_lines_are_skipped()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(JournalPath)!);
        File.WriteAllText(JournalPath, "garbage\n\0\0\0\0\nonly\ttwo\n" + DeliveryJournal.Format("att1", Delivered("a@x.test")) + "att\tr@x.test\t451\t4.0.0\th\tdeferred\n");

        using DeliveryJournal journal = Open();
        Assert.True(journal.TryGet("att1", "a@x.test", out _));
        Assert.Equal(1, journal.Count);
    }

    [Fact]
    public void Tabs_and_line_breaks_in_a_reply_cannot_split_a_record()
    {
        using (DeliveryJournal journal = Open())
        {
            journal.Record("att1", [Delivered("a@x.test", "250 2.0.0 Ok\tqueued\r\nas 1")]);
        }

        using DeliveryJournal reloaded = Open();
        Assert.True(reloaded.TryGet("att1", "a@x.test", out RecipientOutcome a));
        Assert.Equal("250 2.0.0 Ok queued  as 1", a.Diagnostic);
    }

    [Fact]
    public void The_segment_rolls_over_at_the_retention_age_keeping_one_previous_segment()
    {
        using DeliveryJournal journal = Open();
        journal.Record("old", [Delivered("a@x.test")]);
        _time.Advance(Day + TimeSpan.FromMinutes(1));
        journal.Record("mid", [Delivered("a@x.test")]);

        Assert.True(File.Exists(DeliveryJournal.PreviousSegment(JournalPath)));
        Assert.True(journal.TryGet("old", "a@x.test", out _)); // kept at least the retention
        Assert.True(journal.TryGet("mid", "a@x.test", out _));

        _time.Advance(Day + TimeSpan.FromMinutes(1));
        journal.Record("new", [Delivered("a@x.test")]);

        Assert.False(journal.TryGet("old", "a@x.test", out _)); // at most twice the retention
        Assert.True(journal.TryGet("mid", "a@x.test", out _));
        Assert.True(journal.TryGet("new", "a@x.test", out _));

        journal.Dispose();
        using DeliveryJournal reloaded = Open();
        Assert.False(reloaded.TryGet("old", "a@x.test", out _));
        Assert.True(reloaded.TryGet("mid", "a@x.test", out _));
        Assert.True(reloaded.TryGet("new", "a@x.test", out _));
    }

    [Fact]
    public void A_segment_found_too_old_at_start_rolls_over_at_once()
    {
        using (DeliveryJournal journal = Open())
        {
            journal.Record("old", [Delivered("a@x.test")]);
        }

        _time.Advance(Day + TimeSpan.FromHours(1));
        using (DeliveryJournal journal = Open())
        {
            Assert.True(journal.TryGet("old", "a@x.test", out _)); // now in the previous segment
            Assert.True(File.Exists(DeliveryJournal.PreviousSegment(JournalPath)));
        }

        _time.Advance(Day + TimeSpan.FromHours(1));
        using DeliveryJournal later = Open();
        Assert.False(later.TryGet("old", "a@x.test", out _));
    }

    [Fact]
    public void The_segment_rolls_over_at_its_size_bound()
    {
        using DeliveryJournal journal = Open(maxSegmentBytes: 4096);
        for (int i = 0; i < 200; i++)
        {
            journal.Record($"att{i}", [Delivered("a@x.test")]);
        }

        Assert.True(new FileInfo(JournalPath).Length < 4096 + 512);
        Assert.True(new FileInfo(DeliveryJournal.PreviousSegment(JournalPath)).Length < 4096 + 512);
        Assert.True(journal.TryGet("att199", "a@x.test", out _));
        Assert.False(journal.TryGet("att0", "a@x.test", out _));
        Assert.True(journal.Count < 200);
    }

    [Fact]
    public void A_journal_that_cannot_be_written_still_answers_from_memory_and_never_throws()
    {
        // A regular file where the journal's directory should be: every open fails.
        File.WriteAllText(Path.Combine(_dir.FullName, "data"), "not a directory");

        using DeliveryJournal journal = Open();
        journal.Record("att1", [Delivered("a@x.test")]);

        Assert.True(journal.TryGet("att1", "a@x.test", out _));
    }

    [Fact]
    public async Task A_redelivered_request_is_answered_from_the_journal_and_not_sent_again()
    {
        await using var server = new FaultyMailServer();
        await using var harness = new DeliveryHarness(server.Port, journal: Open());
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test", "b@relay.test");

        DeliveryAttempted first = await harness.AttemptAsync(request);
        DeliveryAttempted again = await harness.AttemptAsync(request);

        Assert.Single(server.Messages);
        Assert.All(again.Outcomes, o => Assert.Equal((DeliveryOutcome.Delivered, 250, "127.0.0.1"), (o.Outcome, o.ReplyCode, o.RemoteHost)));
        Assert.Equal(first.Outcomes, again.Outcomes);
        Assert.Null(again.Content);
    }

    /// <summary>
    /// The Queue's outbox sends an attempt again when it crashed between the publish and marking the row sent; both
    /// copies can be here at once. The second waits for the first and is answered from the journal. The server holds
    /// the first copy's final reply until a second connection arrives (which only a second delivery would open) or
    /// two seconds passed: without the turn per attempt id, that is two messages.
    /// </summary>
    [Fact]
    public async Task Two_copies_of_one_attempt_at_once_are_delivered_once()
    {
        FaultyMailServer? held = null;
        await using var server = new FaultyMailServer
        {
            On = l =>
            {
                if (l == "." && held is not null)
                {
                    SpinWait.SpinUntil(() => held.Connections > 1, TimeSpan.FromSeconds(2));
                }

                return null;
            },
        };
        held = server;
        await using var harness = new DeliveryHarness(server.Port, journal: Open());
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test");

        DeliveryAttempted[] both = await Task.WhenAll(harness.AttemptAsync(request), harness.AttemptAsync(request));

        Assert.Single(server.Messages);
        Assert.All(both, a => Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(a.Outcomes).Outcome));
    }

    [Fact]
    public async Task Only_the_recipients_not_yet_accepted_under_the_attempt_are_sent_again()
    {
        await using var server = new FaultyMailServer();
        await using var harness = new DeliveryHarness(server.Port, journal: Open());
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test", "b@relay.test", "c@relay.test");
        harness.Journal.Record(request.AttemptId, [Delivered("b@relay.test", "250 2.0.0 Ok: earlier")]);

        DeliveryAttempted attempted = await harness.AttemptAsync(request);

        Assert.Equal(["a@relay.test", "b@relay.test", "c@relay.test"], attempted.Outcomes.Select(o => o.Recipient));
        Assert.All(attempted.Outcomes, o => Assert.Equal(DeliveryOutcome.Delivered, o.Outcome));
        Assert.Equal("250 2.0.0 Ok: earlier", attempted.Outcomes[1].Diagnostic);
        Assert.Equal(["<a@relay.test>", "<c@relay.test>"], server.Commands.Where(c => c.StartsWith("RCPT", StringComparison.Ordinal)).Select(c => c[8..c.IndexOf('>', StringComparison.Ordinal)] + ">").ToArray());
    }

    [Fact]
    public async Task A_recipient_deferred_under_an_attempt_is_tried_again_on_redelivery()
    {
        int data = 0;
        await using var server = new FaultyMailServer { On = l => l == "." && Interlocked.Increment(ref data) == 1 ? "451 4.3.0 Try later" : null };
        await using var harness = new DeliveryHarness(server.Port, journal: Open());
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test");

        Assert.Equal(DeliveryOutcome.Deferred, (await harness.AttemptAsync(request)).Outcomes[0].Outcome);
        Assert.Equal(DeliveryOutcome.Delivered, (await harness.AttemptAsync(request)).Outcomes[0].Outcome);
        Assert.Equal(2, server.Messages.Count);
    }

    /// <summary>The file's text read by cat: .NET's own reads take a shared lock the journal's exclusive one refuses.</summary>
    private static string ReadUnlocked(string path)
    {
        using var cat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true, RedirectStandardInput = true })!;
        string text = cat.StandardOutput.ReadToEnd();
        cat.WaitForExit();
        return text;
    }

    private DeliveryJournal Open(long maxSegmentBytes = 1 << 20) => new(JournalPath, Day, maxSegmentBytes, _time, NullLogger.Instance);

    private static RecipientOutcome Delivered(string recipient, string reply = "250 2.0.0 Ok") => Outcomes.Delivered(recipient, reply, "mx.x.test");

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
