using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Maildir;
using EmailPipeline.Delivery.Routing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailPipeline.Delivery.Tests;

public sealed class MaildirTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("maildir-tests-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task Message_lands_in_new_with_tmp_left_empty()
    {
        string mailbox = Path.Combine(_root.FullName, "example.test", "alice");
        string file = await new MaildirWriter().DeliverAsync(mailbox, "X: 1\r\n"u8.ToArray(), "Subject: hi\r\n\r\nbody\r\n"u8.ToArray(), CancellationToken.None);

        Assert.Equal(Path.Combine(mailbox, "new"), Path.GetDirectoryName(file));
        Assert.Equal("X: 1\r\nSubject: hi\r\n\r\nbody\r\n", await File.ReadAllTextAsync(file));
        Assert.Empty(Directory.GetFiles(Path.Combine(mailbox, "tmp")));
        Assert.True(Directory.Exists(Path.Combine(mailbox, "cur")));
    }

    [Fact]
    public void Names_are_unique_and_follow_the_maildir_pattern()
    {
        var writer = new MaildirWriter();
        string[] names = Enumerable.Range(0, 1000).Select(_ => writer.UniqueName()).ToArray();
        Assert.Equal(names.Length, names.Distinct().Count());
        Assert.Matches(@"^\d+\.\d+_\d+\.[^/:]+$", names[0]);
    }

    [Theory]
    [InlineData("../../etc@example.test")]
    [InlineData("..@example.test")]
    [InlineData(".hidden@example.test")]
    [InlineData("a/b@example.test")]
    [InlineData("a\\b@example.test")]
    [InlineData("alice@../x")]
    [InlineData("alice@exa/mple.test")]
    [InlineData("\"quoted\"@example.test")]
    [InlineData("nul\0@example.test")]
    [InlineData("@example.test")]
    public void Addresses_that_could_escape_the_root_are_refused(string address) =>
        Assert.False(MailboxPath.TryResolve(_root.FullName, address, out _, out _));

    [Theory]
    [InlineData("Alice@Example.Test", "example.test/alice")]
    [InlineData("bob+tag@example.test", "example.test/bob+tag")]
    [InlineData("first.last@sub.example.test", "sub.example.test/first.last")]
    public void Ordinary_addresses_map_below_the_root(string address, string relative)
    {
        Assert.True(MailboxPath.TryResolve(_root.FullName, address, out string mailbox, out _));
        Assert.Equal(Path.Combine(_root.FullName, relative), mailbox);
    }

    [Fact]
    public async Task Delivery_bounces_escaping_recipient_with_5_1_3_and_delivers_the_rest()
    {
        var delivery = new MaildirDelivery(new MaildirWriter(), DeliveryJournalInMemory(), NullLogger<MaildirDelivery>.Instance);
        var request = new DeliveryRequested
        {
            MessageId = QueueId.New(),
            AttemptId = "a1",
            Destination = "example.test",
            Sender = "sender@origin.test",
            Recipients = [new EnvelopeRecipient("../../escape@example.test", DsnNotify.Default, null), new EnvelopeRecipient("carol@example.test", DsnNotify.Default, null)],
            Content = Encoding.ASCII.GetBytes("Subject: t\r\n\r\nhello\r\n"),
        };
        var rule = new TransportRule { Match = "example.test", Kind = TransportKind.Maildir, Path = _root.FullName };

        IReadOnlyList<RecipientOutcome> outcomes = await delivery.DeliverAsync(request, new DeliveryRoute(TransportKind.Maildir, rule, [], null, "maildir"), CancellationToken.None);

        Assert.Equal(DeliveryOutcome.Bounced, outcomes[0].Outcome);
        Assert.Equal("5.1.3", outcomes[0].EnhancedStatus);
        Assert.Equal(DeliveryOutcome.Delivered, outcomes[1].Outcome);
        string file = Assert.Single(Directory.GetFiles(Path.Combine(_root.FullName, "example.test", "carol", "new")));
        string text = await File.ReadAllTextAsync(file);
        Assert.Equal("Return-Path: <sender@origin.test>\r\nDelivered-To: carol@example.test\r\nSubject: t\r\n\r\nhello\r\n", text);
        Assert.Equal(["carol"], Directory.GetDirectories(Path.Combine(_root.FullName, "example.test")).Select(Path.GetFileName));
    }

    private static DeliveryJournal DeliveryJournalInMemory() => new(null, TimeSpan.FromHours(1), 1 << 20, TimeProvider.System, NullLogger.Instance);
}
