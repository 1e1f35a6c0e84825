using System.Text;
using EmailPipeline.Contracts;

namespace EmailPipeline.Policy.Tests.Outbound;

public sealed class DkimSigningTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 13, 0, 0, TimeSpan.Zero);

    private readonly KeyDirectory _keys = new();
    private readonly KeyRecordLocator _dns = new KeyRecordLocator()
        .Add("rsa2026", "example.com", TestKeys.Rsa2048)
        .Add("ed2026", "example.com", TestKeys.Ed25519Sha256)
        .Add("bulk", "mailer.example", TestKeys.OtherRsa2048);

    private OutboundHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _keys.Add("rsa2026", "example.com", TestKeys.Rsa2048.Pem);
        _keys.Add("ed2026", "example.com", TestKeys.Ed25519Sha256.Pem);
        _host = await StartAsync(new Dictionary<string, string?>
        {
            ["Policy:Signing:KeyDirectory"] = _keys.Path,
            ["Policy:Signing:Keys:0:Domain"] = "mailer.example",
            ["Policy:Signing:Keys:0:Selector"] = "bulk",
            // Not *.pem, so the directory scan skips it; named explicitly instead.
            ["Policy:Signing:Keys:0:KeyFile"] = _keys.Write("mailer.key", TestKeys.OtherRsa2048.Pem),
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _keys.Dispose();
    }

    [Fact]
    public async Task Rsa_and_ed25519_signatures_both_verify_on_the_message_the_ingress_queues()
    {
        CheckMessage check = Submissions.Check(Submissions.Plain);
        PolicyVerdict verdict = await DecideAsync(check);

        Assert.Equal((PolicyAction.Accept, 250), (verdict.Action, verdict.ReplyCode));
        Assert.StartsWith("DKIM-Signature:", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n\r\n", verdict.HeadersToPrepend, StringComparison.Ordinal);
        Assert.DoesNotMatch("(?<!\r)\n", verdict.HeadersToPrepend);

        IReadOnlyList<DkimCheck.Signature> signatures = await DkimCheck.VerifyAsync(Submissions.Assemble(verdict, check), _dns);
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.True(s.Valid, s.Field.ToString()));
        Assert.Equal(["ed25519-sha256", "rsa-sha256"], signatures.Select(s => s.Tag("a")).Order());
        Assert.All(signatures, s => Assert.Equal(("example.com", "relaxed/relaxed"), (s.Tag("d"), s.Tag("c"))));
        Assert.Equal(["ed2026", "rsa2026"], signatures.Select(s => s.Tag("s")).Order());
        Assert.All(signatures, s => Assert.Equal(Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), s.Tag("t")));
    }

    [Fact]
    public async Task From_to_and_subject_are_signed_once_more_than_they_occur()
    {
        PolicyVerdict verdict = await DecideAsync(Submissions.Check(Submissions.Plain));

        string[] h = DkimCheck.Tags(verdict.HeadersToPrepend.Split("DKIM-Signature:")[1])["h"].Split(':');
        Assert.Equal(2, h.Count(f => f == "from"));
        Assert.Equal(2, h.Count(f => f == "to"));
        Assert.Equal(2, h.Count(f => f == "subject"));
        Assert.Equal(1, h.Count(f => f == "date"));
        Assert.Equal(1, h.Count(f => f == "message-id"));
        Assert.Equal(1, h.Count(f => f == "content-type"));
        Assert.DoesNotContain("cc", h); // absent and not oversigned: not listed
        Assert.DoesNotContain("received", h);
    }

    [Fact]
    public async Task A_header_missing_from_the_message_is_still_oversigned_so_it_cannot_be_added()
    {
        string noTo = Submissions.Plain.Replace("To: Bob <bob@example.net>, carol@example.org\n", "", StringComparison.Ordinal);
        CheckMessage check = Submissions.Check(noTo);
        PolicyVerdict verdict = await DecideAsync(check);

        string[] h = DkimCheck.Tags(verdict.HeadersToPrepend.Split("DKIM-Signature:")[1])["h"].Split(':');
        Assert.Equal(1, h.Count(f => f == "to"));
        byte[] final = Submissions.Assemble(verdict, check);
        Assert.All(await DkimCheck.VerifyAsync(final, _dns), s => Assert.True(s.Valid));

        byte[] withTo = Insert(final, "Subject:", "To: mallory@example.net\r\n");
        Assert.All(await DkimCheck.VerifyAsync(withTo, _dns), s => Assert.False(s.Valid));
    }

    [Fact]
    public async Task Changing_the_subject_breaks_both_signatures()
    {
        CheckMessage check = Submissions.Check(Submissions.Plain);
        byte[] final = Submissions.Assemble(await DecideAsync(check), check);

        byte[] tampered = Replace(final, "Subject: Quarterly numbers", "Subject: Quarterly numbers!");
        IReadOnlyList<DkimCheck.Signature> signatures = await DkimCheck.VerifyAsync(tampered, _dns);
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.False(s.Valid));
    }

    [Fact]
    public async Task A_second_subject_added_above_the_signed_one_breaks_both_signatures()
    {
        CheckMessage check = Submissions.Check(Submissions.Plain);
        byte[] final = Submissions.Assemble(await DecideAsync(check), check);

        byte[] tampered = Insert(final, "From:", "Subject: Please pay invoice 4711\r\n");
        Assert.All(await DkimCheck.VerifyAsync(tampered, _dns), s => Assert.False(s.Valid));
    }

    [Fact]
    public async Task Changing_the_body_breaks_both_signatures_and_whitespace_changes_do_not()
    {
        CheckMessage check = Submissions.Check(Submissions.Plain);
        byte[] final = Submissions.Assemble(await DecideAsync(check), check);

        Assert.All(await DkimCheck.VerifyAsync(Replace(final, "attached", "attacked"), _dns), s => Assert.False(s.Valid));
        // relaxed/relaxed: a relay re-folding header whitespace or trimming trailing spaces keeps it valid.
        byte[] respaced = Replace(Replace(final, "Subject: Quarterly numbers", "Subject:   Quarterly \t numbers"), "here:   \r\n", "here:\r\n");
        Assert.All(await DkimCheck.VerifyAsync(respaced, _dns), s => Assert.True(s.Valid));
    }

    public static TheoryData<string, string> Shapes => new()
    {
        { "multipart", """
            From: alice@example.com
            To: bob@example.net
            Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            preamble
            --b1
            Content-Type: text/plain; charset=us-ascii

            part one
            --b1
            Content-Type: application/octet-stream
            Content-Transfer-Encoding: base64

            AAECAwQFBgcICQ==
            --b1--
            epilogue
            """ },
        { "folded headers", "From: \"Alice\n\tExample\" <alice@example.com>\nTo: bob@example.net,\n    carol@example.org\nSubject: a subject\n  folded twice\n\tand with a tab\nX-Custom:    spaced    out   \n\nbody\n" },
        { "no final line break", "From: alice@example.com\nSubject: short\n\nno newline at the end" },
        { "empty body", "From: alice@example.com\nSubject: nothing\n\n" },
        { "trailing empty lines", "From: alice@example.com\nSubject: blank lines\n\nline\n\n\n\n" },
        { "headers only", "From: alice@example.com\nSubject: no separator\n" },
        { "utf-8 headers", "From: Jöran <alice@example.com>\nSubject: Grüße aus Köln\nTo: bob@example.net\n\nInhalt\n" },
        { "duplicate received and resent", "Received: from a by b; Mon, 23 Nov 2026 12:00:00 +0000\nResent-From: alice@example.com\nResent-From: alice@example.com\nFrom: alice@example.com\nSubject: resent\n\nbody\n" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Messages_of_every_shape_verify_after_assembly(string shape, string text)
    {
        CheckMessage check = Submissions.Check(text);
        PolicyVerdict verdict = await DecideAsync(check);

        IReadOnlyList<DkimCheck.Signature> signatures = await DkimCheck.VerifyAsync(Submissions.Assemble(verdict, check), _dns);
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.True(s.Valid, $"{shape}: {s.Field}"));
    }

    [Fact]
    public async Task The_from_domain_chooses_the_key_and_the_envelope_domain_is_the_fallback()
    {
        // From has a key of its own: d= is the From domain even though the envelope is another domain's.
        CheckMessage fromMailer = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "news@mailer.example>", StringComparison.Ordinal));
        PolicyVerdict mailer = await DecideAsync(fromMailer);
        IReadOnlyList<DkimCheck.Signature> one = await DkimCheck.VerifyAsync(Submissions.Assemble(mailer, fromMailer), _dns);
        Assert.Equal(("mailer.example", "rsa-sha256", true), (Assert.Single(one).Tag("d"), one[0].Tag("a"), one[0].Valid));

        // From's domain has no key: the envelope sender's domain signs.
        CheckMessage fromElsewhere = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "alice@unsigned.example>", StringComparison.Ordinal));
        PolicyVerdict fallback = await DecideAsync(fromElsewhere);
        IReadOnlyList<DkimCheck.Signature> two = await DkimCheck.VerifyAsync(Submissions.Assemble(fallback, fromElsewhere), _dns);
        Assert.Equal(2, two.Count);
        Assert.All(two, s => Assert.Equal(("example.com", true), (s.Tag("d"), s.Valid)));
    }

    [Fact]
    public async Task A_domain_without_a_key_is_accepted_unsigned()
    {
        CheckMessage check = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "x@unsigned.example>", StringComparison.Ordinal), sender: "x@unsigned.example");
        PolicyVerdict verdict = await DecideAsync(check);

        Assert.Equal((PolicyAction.Accept, ""), (verdict.Action, verdict.HeadersToPrepend));
        Assert.Contains(_host.Logs.Lines, l => l.Contains("[4503]", StringComparison.Ordinal) && l.Contains("unsigned.example", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mail_without_an_authenticated_user_gets_no_opinion()
    {
        Assert.Null(await _host.Policy.DecideAsync(Submissions.Check(Submissions.Plain, user: null), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Subdomains_use_the_parent_domain_key_only_when_enabled()
    {
        string fromNews = Submissions.Plain.Replace("alice@example.com>", "alice@news.example.com>", StringComparison.Ordinal);
        CheckMessage check = Submissions.Check(fromNews, sender: "alice@news.example.com");
        Assert.Equal("", (await DecideAsync(check)).HeadersToPrepend);

        await using OutboundHost subdomains = await StartAsync(new Dictionary<string, string?>
        {
            ["Policy:Signing:KeyDirectory"] = _keys.Path,
            ["Policy:Signing:SignSubdomains"] = "true",
        });
        PolicyVerdict verdict = (await subdomains.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
        IReadOnlyList<DkimCheck.Signature> signatures = await DkimCheck.VerifyAsync(Submissions.Assemble(verdict, check), _dns);
        Assert.Equal(2, signatures.Count);
        Assert.All(signatures, s => Assert.Equal(("example.com", true), (s.Tag("d"), s.Valid)));
    }

    [Fact]
    public async Task A_signature_lifetime_adds_x_after_t()
    {
        await using OutboundHost expiring = await StartAsync(new Dictionary<string, string?>
        {
            ["Policy:Signing:KeyDirectory"] = _keys.Path,
            ["Policy:Signing:SignatureLifetime"] = "7.00:00:00",
        });
        PolicyVerdict verdict = (await expiring.Policy.DecideAsync(Submissions.Check(Submissions.Plain), TestContext.Current.CancellationToken))!;

        Dictionary<string, string> tags = DkimCheck.Tags(verdict.HeadersToPrepend.Split("DKIM-Signature:")[1]);
        Assert.Equal(long.Parse(tags["t"], System.Globalization.CultureInfo.InvariantCulture) + (7 * 86400),
            long.Parse(tags["x"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Private_keys_never_reach_the_log()
    {
        foreach (string text in Shapes.Select(row => row.Data.Item2))
        {
            await DecideAsync(Submissions.Check(text));
        }

        string logged = _host.Logs.All;
        Assert.Contains("[4501]", logged, StringComparison.Ordinal); // keys were loaded and said so
        Assert.Contains("[4502]", logged, StringComparison.Ordinal); // and messages were signed at Debug
        Assert.DoesNotContain("PRIVATE KEY", logged, StringComparison.Ordinal);
        foreach (TestKey key in new[] { TestKeys.Rsa2048, TestKeys.Ed25519Sha256, TestKeys.OtherRsa2048 })
        {
            Assert.All(key.SecretLines, line => Assert.DoesNotContain(line[..20], logged, StringComparison.Ordinal));
        }
    }

    private Task<OutboundHost> StartAsync(Dictionary<string, string?> settings) =>
        OutboundHost.StartAsync(settings, new ManualClock(Now));

    private async Task<PolicyVerdict> DecideAsync(CheckMessage check) =>
        await _host.Policy.DecideAsync(check, TestContext.Current.CancellationToken) ?? throw new InvalidOperationException("no verdict");

    private static byte[] Replace(byte[] message, string from, string to)
    {
        string text = Encoding.UTF8.GetString(message);
        Assert.Contains(from, text, StringComparison.Ordinal);
        return Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }

    private static byte[] Insert(byte[] message, string before, string field)
    {
        string text = Encoding.UTF8.GetString(message);
        int at = text.IndexOf("\r\n" + before, StringComparison.Ordinal) + 2;
        Assert.True(at > 1, $"no {before} field");
        return Encoding.UTF8.GetBytes(text.Insert(at, field));
    }
}
