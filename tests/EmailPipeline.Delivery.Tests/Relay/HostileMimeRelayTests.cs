using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Delivery.Configuration;
using EmailPipeline.Delivery.Journal;
using EmailPipeline.Delivery.Maildir;
using EmailPipeline.Delivery.Routing;
using EmailPipeline.Delivery.Tests.Faults;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmailPipeline.Delivery.Tests.Relay;

/// <summary>
/// Issue 11: an MTA relays the bytes it accepted. Each message here is one MIME parsers like to "repair"; every
/// transport must hand it on byte for byte (SMTP and LMTP after un-dot-stuffing, Maildir after its Return-Path: and
/// Delivered-To:), whatever it declares, with BODY=8BITMIME on MAIL when the content is 8-bit.
/// </summary>
public sealed class HostileMimeRelayTests : IDisposable
{
    private static readonly Dictionary<string, (string Content, BodyType Body)> Cases = new()
    {
        ["padded boundary lines"] = (
            "From: a@origin.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n"
            + "--b1 \t \r\nContent-Type: text/plain\r\n\r\none\r\n--b1\t\r\nContent-Type: text/plain\r\n\r\ntwo\r\n--b1--  \t\r\nepilogue\r\n",
            BodyType.SevenBit),
        ["part without a blank line after its headers"] = (
            "From: a@origin.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b2\r\n\r\n"
            + "--b2\r\nContent-Type: text/plain\r\n--b2\r\nContent-Type: text/plain\r\nX-Not-A-Header-Either\r\n--b2--\r\n",
            BodyType.SevenBit),
        ["header-only message"] = ("From: a@origin.test\r\nSubject: headers and nothing else\r\n", BodyType.SevenBit),
        ["multipart without its closing delimiter"] = (
            "From: a@origin.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b3\r\n\r\n"
            + "--b3\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b3\r\nContent-Type: text/html\r\n\r\n<p>cut short</p>\r\n",
            BodyType.SevenBit),
        ["lines starting with dots"] = (
            "From: a@origin.test\r\n\r\n.\r\n..\r\n.leading dot\r\n...three\r\n. \r\nmiddle . dot\r\n.\r\n",
            BodyType.SevenBit),
        ["8-bit body without any MIME declaration"] = (
            "From: a@origin.test\r\nSubject: raw\r\n\r\nGr\u00fc\u00dfe aus K\u00f6ln, \u00e7a va?\r\n",
            BodyType.EightBitMime),
        ["8-bit body the envelope called 7bit"] = (
            "From: a@origin.test\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nna\u00efve\r\n",
            BodyType.SevenBit),
        ["very long lines"] = (
            "From: a@origin.test\r\nX-Long: " + new string('h', 3000) + "\r\n\r\n" + new string('x', 20000) + "\r\n." + new string('y', 5000) + "\r\n",
            BodyType.SevenBit),
        ["CRLF CRLF runs and trailing white space"] = ("From: a@origin.test\r\n\r\n\r\n\r\n  \r\nend \t\r\n\r\n\r\n", BodyType.SevenBit),
    };

    private readonly DirectoryInfo _maildir = Directory.CreateTempSubdirectory("relay-bytes-");

    public static TheoryData<string> Names => new(Cases.Keys);

    public void Dispose() => _maildir.Delete(recursive: true);

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Smtp_relays_the_bytes_unchanged(string name)
    {
        await using var server = new FaultyMailServer();
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = Request(name, "relay.test");

        DeliveryAttempted attempted = await harness.AttemptAsync(request);

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);
        AssertSameBytes(request.Content, Assert.Single(server.Data));
        string mail = Assert.Single(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
        Assert.Equal(IsEightBit(name), mail.Contains(" BODY=8BITMIME", StringComparison.Ordinal));
        Assert.Empty(server.BdatCommands);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Smtp_with_pipelining_and_chunking_relays_the_bytes_unchanged(string name)
    {
        await using var server = new FaultyMailServer(chunking: true, pipelining: true);
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = Request(name, "relay.test", "b@relay.test");

        DeliveryAttempted attempted = await harness.AttemptAsync(request);

        Assert.All(attempted.Outcomes, o => Assert.Equal(DeliveryOutcome.Delivered, o.Outcome));
        AssertSameBytes(request.Content, Assert.Single(server.Data));
        Assert.Equal(IsEightBit(name), server.Commands.Single(c => c.StartsWith("MAIL", StringComparison.Ordinal)).Contains(" BODY=8BITMIME", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Lmtp_relays_the_bytes_unchanged(string name)
    {
        await using var server = new FaultyMailServer(lmtp: true);
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = Request(name, "lmtp.test");

        DeliveryAttempted attempted = await harness.AttemptAsync(request);

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(attempted.Outcomes).Outcome);
        AssertSameBytes(request.Content, Assert.Single(server.Data));
        Assert.Equal(IsEightBit(name), server.Commands.Single(c => c.StartsWith("MAIL", StringComparison.Ordinal)).Contains(" BODY=8BITMIME", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Maildir_stores_the_bytes_unchanged(string name)
    {
        DeliveryRequested request = Request(name, "local.test");
        string file = await DeliverToMaildirAsync(request);

        AssertSameBytes([.. "Return-Path: <sender@origin.test>\r\nDelivered-To: a@local.test\r\n"u8, .. request.Content], await File.ReadAllBytesAsync(file));
    }

    [Fact]
    public async Task Starttls_and_relay_auth_then_the_bytes_unchanged_and_the_session_reused()
    {
        await using var server = new FaultyMailServer(auth: true, startTls: true);
        await using var harness = new DeliveryHarness(server.Port, username: "relay-user", requireTls: true);
        DeliveryRequested request = Request("padded boundary lines", "relay.test");

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(request)).Outcomes).Outcome);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(Request("lines starting with dots", "relay.test"))).Outcomes).Outcome);

        Assert.Equal(1, server.TlsSessions);
        Assert.Equal(1, server.Connections);
        AssertSameBytes(request.Content, server.Data.First());
        Assert.Equal(["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "NOOP", "MAIL", "RCPT", "DATA"], server.Commands.Select(c => c.Split(' ')[0]));
        Assert.Equal("AUTH PLAIN " + Convert.ToBase64String("\0relay-user\0secret"u8), server.Commands.Single(c => c.StartsWith("AUTH", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Content_without_a_final_CRLF_goes_exactly_with_BDAT_to_a_peer_with_CHUNKING()
    {
        await using var server = new FaultyMailServer(chunking: true);
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test") with { Content = "From: a@origin.test\r\nSubject: no line end"u8.ToArray() };

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(request)).Outcomes).Outcome);

        AssertSameBytes(request.Content, Assert.Single(server.Data));
        Assert.Equal($"BDAT {request.Content.Length} LAST", Assert.Single(server.BdatCommands));
    }

    [Fact]
    public async Task Content_without_a_final_CRLF_gets_one_over_DATA_the_only_change_DATA_forces()
    {
        await using var server = new FaultyMailServer();
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test") with { Content = "From: a@origin.test\r\nSubject: no line end"u8.ToArray() };

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(request)).Outcomes).Outcome);

        AssertSameBytes([.. request.Content, .. "\r\n"u8], Assert.Single(server.Data));
        byte[] stored = await File.ReadAllBytesAsync(await DeliverToMaildirAsync(request with { Destination = "local.test", Recipients = [new("a@local.test", DsnNotify.Default, null)] }));
        Assert.Equal(request.Content, stored[^request.Content.Length..]); // Maildir keeps them exactly
    }

    [Fact]
    public async Task Binarymime_goes_with_BDAT_and_BODY_BINARYMIME_to_a_peer_that_offers_it()
    {
        await using var server = new FaultyMailServer(chunking: true);
        await using var harness = new DeliveryHarness(server.Port);
        byte[] content = [.. "From: a@origin.test\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"u8, 0, 1, 0xFF, 13, 10, (byte)'.', 10, 13, 0x80];
        DeliveryRequested request = DeliveryHarness.Request("relay.test", "a@relay.test") with { Body = BodyType.BinaryMime, Content = content };

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(request)).Outcomes).Outcome);

        AssertSameBytes(content, Assert.Single(server.Data));
        Assert.Contains(" BODY=BINARYMIME", server.Commands.Single(c => c.StartsWith("MAIL", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Eight_bit_content_to_a_peer_without_8BITMIME_is_still_converted_to_seven_bit()
    {
        await using var server = new FaultyMailServer(eightBitMime: false);
        await using var harness = new DeliveryHarness(server.Port);
        DeliveryRequested request = Request("8-bit body without any MIME declaration", "relay.test");

        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single((await harness.AttemptAsync(request)).Outcomes).Outcome);

        byte[] sent = Assert.Single(server.Data);
        Assert.All(sent, b => Assert.True(b < 0x80, $"byte 0x{b:X2} sent to a 7-bit peer"));
        Assert.Contains("Content-Transfer-Encoding: ", Encoding.ASCII.GetString(sent), StringComparison.Ordinal);
        Assert.DoesNotContain("BODY=", server.Commands.Single(c => c.StartsWith("MAIL", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    private static bool IsEightBit(string name) => name.StartsWith("8-bit", StringComparison.Ordinal);

    private static DeliveryRequested Request(string name, string domain, params string[] more) =>
        DeliveryHarness.Request(domain, ["a@" + domain, .. more]) with
        {
            Content = Encoding.UTF8.GetBytes(Cases[name].Content),
            Body = Cases[name].Body,
        };

    private async Task<string> DeliverToMaildirAsync(DeliveryRequested request)
    {
        using var journal = new DeliveryJournal(null, TimeSpan.FromHours(1), 1 << 20, TimeProvider.System, NullLogger.Instance);
        var delivery = new MaildirDelivery(new MaildirWriter(), journal, NullLogger<MaildirDelivery>.Instance);
        var rule = new TransportRule { Match = request.Destination, Kind = TransportKind.Maildir, Path = _maildir.FullName };
        IReadOnlyList<RecipientOutcome> outcomes = await delivery.DeliverAsync(request, new DeliveryRoute(TransportKind.Maildir, rule, [], null, "maildir"), CancellationToken.None);
        Assert.Equal(DeliveryOutcome.Delivered, Assert.Single(outcomes).Outcome);
        string file = Assert.Single(Directory.GetFiles(Path.Combine(_maildir.FullName, request.Destination, "a", "new")));
        return file;
    }

    /// <summary>Equal bytes, or a failure that names the first difference (a whole message in a diff is unreadable).</summary>
    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        int common = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(
            common == expected.Length && common == actual.Length,
            $"lengths {expected.Length} / {actual.Length}, first difference at {common}: expected …{Show(expected, common)}… got …{Show(actual, common)}…");
    }

    private static string Show(byte[] bytes, int at) =>
        Encoding.UTF8.GetString(bytes.AsSpan(Math.Max(0, at - 20), Math.Min(bytes.Length, at + 20) - Math.Max(0, at - 20))).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
