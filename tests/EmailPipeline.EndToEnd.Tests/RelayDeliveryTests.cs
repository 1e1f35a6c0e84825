using System.Globalization;
using System.Text;
using EmailPipeline.EndToEnd.Tests.Support;

namespace EmailPipeline.EndToEnd.Tests;

/// <summary>The happy paths to real peers: swaks → ingress → queue → delivery → smtp-sink / LMTP / Maildir.</summary>
[Collection(PeerCollection.Name)]
public sealed class RelayDeliveryTests(PeerPipelineFixture f)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Swaks_to_smtp_sink_arrives_as_sent_below_one_received_header()
    {
        string id = TestIds.New();
        string rcpt = $"bytes-{id}@sink.test";
        string wire = $"From: sender@remote.test\r\nTo: {rcpt}\r\nSubject: relay {id}\r\nMessage-ID: <{id}@remote.test>\r\n\r\n" +
                      "hello sink\r\n..a line that starts with a dot\r\n\tindented\r\n\r\nlast line\r\n.\r\n";
        (byte[] sent, string qid) = await SwaksAsync("sender@remote.test", rcpt, wire);

        IReadOnlyList<SinkMessage> got = await f.Sink.WaitForAsync(rcpt, Patience);
        SinkMessage m = Assert.Single(got);
        Assert.Equal([rcpt], m.Recipients);
        Assert.StartsWith("<sender@remote.test>", m.MailArgs, StringComparison.Ordinal);
        Assert.Equal("mx.pipeline.test", m.Helo);

        // smtp-sink stores every line without its CR, so the DATA swaks sent is compared with CRLF turned into LF.
        (string received, byte[] rest) = SplitFirstHeader(m.Content, "\n");
        Assert.StartsWith("Received: from ", received, StringComparison.Ordinal);
        Assert.Contains("by mx.pipeline.test", received, StringComparison.Ordinal);
        Assert.Equal(Encoding.Latin1.GetString(SmtpSink.ToLf(sent)), Encoding.Latin1.GetString(rest));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(rcpt).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
    }

    [Fact]
    public async Task Swaks_to_an_lmtp_peer_arrives_byte_for_byte_below_one_received_header()
    {
        string id = TestIds.New();
        string rcpt = $"lmtp-{id}@lmtp.test";
        string wire = $"From: sender@remote.test\r\nTo: {rcpt}\r\nSubject: lmtp {id}\r\n\r\nhello lmtp\r\n..dot\r\n.\r\n";
        (byte[] sent, string qid) = await SwaksAsync("sender@remote.test", rcpt, wire);

        ScriptedTransaction t = await WaitAsync(() => f.Lmtp.Find(rcpt));
        Assert.Equal([rcpt], t.Recipients);
        Assert.Equal("mx.pipeline.test", t.Helo);
        (string received, byte[] rest) = SplitFirstHeader(t.Data, "\r\n");
        Assert.StartsWith("Received: from ", received, StringComparison.Ordinal);
        Assert.Equal(sent, rest);

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(rcpt).State);
        QueueStoreCli.AssertExactlyOneFinalState(view);
    }

    [Fact]
    public async Task A_message_for_four_destinations_is_split_and_each_gets_exactly_its_recipients()
    {
        string id = TestIds.New();
        string[] local = [$"a-{id}@example.test", $"b-{id}@example.test"];
        string[] sink = [$"c-{id}@sink.test", $"d-{id}@sink.test"];
        string[] peer = [$"e-{id}@peer.test", $"f-{id}@peer.test"];
        string[] lmtp = [$"g-{id}@lmtp.test"];
        string[] all = [local[0], sink[0], peer[0], lmtp[0], local[1], sink[1], peer[1]];
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, "<sender@remote.test>", all.Select(a => $"<{a}>"),
            SmtpSubmission.Message("sender@remote.test", string.Join(", ", all), $"split {id}", "to everyone"));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.All(all, a => Assert.Equal("Delivered", view.Message.Recipient(a).State));
        QueueStoreCli.AssertExactlyOneFinalState(view);

        IReadOnlyList<SinkMessage> atSink = await f.Sink.WaitForAsync(sink[0], Patience);
        Assert.Equal(sink.Order(), Assert.Single(atSink).Recipients.Order());
        ScriptedTransaction atPeer = Assert.Single(f.Peer.FindAll(peer[0]));
        Assert.Equal(peer.Order(), atPeer.Recipients.Order());
        ScriptedTransaction atLmtp = Assert.Single(f.Lmtp.FindAll(lmtp[0]));
        Assert.Equal(lmtp, atLmtp.Recipients);
        foreach (string a in local)
        {
            Assert.Single(await Maildir.WaitAsync(f.Pipeline.MaildirRoot, a, Patience));
        }

        // Nobody got anybody else's recipients (nor a second copy).
        Assert.DoesNotContain(f.Sink.Messages(), m => m.Recipients.Any(r => r.Contains(id, StringComparison.Ordinal) && !sink.Contains(r)));
        Assert.DoesNotContain(f.Peer.Transactions, t => t.Recipients.Any(r => r.Contains(id, StringComparison.Ordinal) && !peer.Contains(r)));
        Assert.DoesNotContain(f.Lmtp.Transactions, t => t.Recipients.Any(r => r.Contains(id, StringComparison.Ordinal) && !lmtp.Contains(r)));
        Assert.Single(f.Sink.Messages(), m => m.Recipients.Any(r => r.Contains(id, StringComparison.Ordinal)));
    }

    /// <summary>Issue 11: MIME that parsers "repair" (bodies are CRLF text, dot-stuffed by SmtpSubmission).</summary>
    public static TheoryData<string, string, bool> HostileMime => new()
    {
        { "padded boundaries", "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1 \t \r\nContent-Type: text/plain\r\n\r\none\r\n--b1--  \t\r\n", false },
        { "part without a blank line", "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n--b2\r\nContent-Type: text/plain\r\n--b2--\r\n", false },
        { "header-only", "X-Only: headers\r\n", false },
        { "no closing delimiter", "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b3\r\n\r\n--b3\r\nContent-Type: text/plain\r\n\r\ncut short\r\n", false },
        { "dot lines", "X-Dots: yes\r\n\r\n.\r\n..\r\n.lead\r\n.\r\n", false },
        { "undeclared 8-bit", "X-Raw: yes\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln\r\n", true },
        { "long lines", "X-Long: " + new string('h', 980) + "\r\n\r\n" + new string('x', 998) + "\r\n." + new string('y', 996) + "\r\n", false },
    };

    [Theory]
    [MemberData(nameof(HostileMime))]
    public async Task Hostile_mime_reaches_an_smtp_peer_byte_for_byte_below_one_received_header(string name, string rest, bool eightBit)
    {
        string id = TestIds.New();
        string rcpt = $"mime-{id}@peer.test";
        string message = $"From: <sender@remote.test>\r\nSubject: {name} {id}\r\n" + rest;
        string qid = await SmtpSubmission.SendAsync(f.Pipeline.SmtpPort, "<sender@remote.test>" + (eightBit ? " BODY=8BITMIME" : ""), [$"<{rcpt}>"], message);

        ScriptedTransaction t = await WaitAsync(() => f.Peer.Find(rcpt));
        (string received, byte[] relayed) = SplitFirstHeader(t.Data, "\r\n");
        Assert.StartsWith("Received: from ", received, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetBytes(message), relayed);
        Assert.Equal(eightBit, t.MailCommand.Contains(" BODY=8BITMIME", StringComparison.Ordinal));

        StoredView view = await f.Store.WaitFinalAsync(qid, Patience, f.Output);
        Assert.Equal("Delivered", view.Message.Recipient(rcpt).State);
    }

    private async Task<(byte[] Sent, string QueueId)> SwaksAsync(string from, string to, string wire)
    {
        string file = Path.Combine(f.Pipeline.DataDirectory, $"{Guid.NewGuid():N}.eml");
        await File.WriteAllTextAsync(file, wire);
        var swaks = await ExternalTool.RunAsync("swaks", ["--server", $"127.0.0.1:{f.Pipeline.SmtpPort.ToString(CultureInfo.InvariantCulture)}",
            "--from", from, "--to", to, "--no-data-fixup", "--data", "@" + file]);
        Assert.True(swaks.ExitCode == 0, swaks.All);
        var queued = System.Text.RegularExpressions.Regex.Match(swaks.All, @"<-  250 .*queued as (\S+)");
        Assert.True(queued.Success, swaks.All);
        return (ExternalTool.DataFromSwaksTranscript(swaks.All), queued.Groups[1].Value);
    }

    private static async Task<T> WaitAsync<T>(Func<T?> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        Assert.Fail("not seen in time");
        return null!;
    }

    /// <summary>The first header field (with its folded lines) and what follows it.</summary>
    private static (string Header, byte[] Remainder) SplitFirstHeader(byte[] content, string newline)
    {
        string text = Encoding.Latin1.GetString(content);
        int pos = 0;
        do
        {
            pos = text.IndexOf(newline, pos, StringComparison.Ordinal) + newline.Length;
        }
        while (pos > newline.Length - 1 && pos < text.Length && (text[pos] == ' ' || text[pos] == '\t'));

        return (text[..pos], content[pos..]);
    }
}
