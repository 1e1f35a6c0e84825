using System.Text;
using EmailPipeline.Contracts;
using static EmailPipeline.Durability.Tests.Harness;

namespace EmailPipeline.Durability.Tests;

/// <summary>
/// The Queue decides a first-seen message without reading the store (the read cost a query on every accepted
/// message); a second copy of the same MessageAccepted — published again, not a broker redelivery, so nothing marks it
/// as seen — must still be recognised by the store and change nothing.
/// </summary>
public sealed class DuplicateInputTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_second_copy_of_an_accepted_message_published_after_it_was_delivered_delivers_nothing_again()
    {
        await using SmtpSinkServer sink = SmtpSinkServer.Start();
        await using Pipeline pipeline = await Pipeline.StartAsync(queue: ShortRetries(), delivery: RouteTo(sink.Port));
        string id = QueueId.New();
        var accepted = new MessageAccepted
        {
            MessageId = id,
            Envelope = new Envelope("s@remote.test", [new EnvelopeRecipient("twice@sink.test", DsnNotify.Default, null)], null, DsnReturn.Headers, BodyType.SevenBit, false, null),
            Session = new SessionFacts("192.0.2.7", 40000, "client.test", "mx", "mx", null, null, null, null),
            ReceivedAt = DateTimeOffset.UtcNow,
            Content = Encoding.ASCII.GetBytes($"Received: from client.test by mx.pipeline.test with ESMTP id {id}\r\nFrom: s@remote.test\r\nTo: twice@sink.test\r\nSubject: once\r\n\r\nonce\r\n"),
        };

        await PublishAsync(pipeline, PipelineQueues.Accepted, Envelope(accepted));
        Assert.True(await sink.WaitUntilAsync(s => s.Count >= 1, Patience), "the first copy was not delivered\n" + pipeline.Output);
        Ledger first = await WaitAllFinalAsync(pipeline, new HashSet<string> { id }, 1, Patience);
        Assert.Equal(1, first.Delivered);

        await PublishAsync(pipeline, PipelineQueues.Accepted, Envelope(accepted));
        Assert.True(await WaitUntilAsync(async () => await ReadyCountAsync(pipeline, PipelineQueues.Accepted) == 0, Patience, TimeSpan.FromMilliseconds(200)),
            "the second copy was not consumed\n" + pipeline.Output);
        await Task.Delay(TimeSpan.FromSeconds(3)); // a second delivery would reach the sink within this

        output.WriteLine($"sink: {sink.Count} message(s) for {id}");
        Assert.Equal(1, sink.Count);
        Assert.Equal(0, await ReadyCountAsync(pipeline, PipelineQueues.Delivery));
        Ledger after = await WaitAllFinalAsync(pipeline, new HashSet<string> { id }, 1, Patience);
        Assert.Equal(1, after.Delivered);
        Assert.Empty(after.Open);
    }
}
