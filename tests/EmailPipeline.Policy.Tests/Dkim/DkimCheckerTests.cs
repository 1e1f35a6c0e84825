using System.Text;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MimeKit;
using MimeKit.Cryptography;

namespace EmailPipeline.Policy.Tests.Dkim;

public sealed class DkimCheckerTests
{
    private static async Task<IReadOnlyList<DkimSignatureOutcome>> VerifyAsync(FakeDns dns, byte[] content)
    {
        await using var host = new PolicyHost(dns);
        return await host.Get<DkimChecker>().VerifyAsync(TestKeys.Parse(content), content, CancellationToken.None);
    }

    private static byte[] Signed(Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair pair, string selector = "sel", DkimSignatureAlgorithm? algorithm = null)
    {
        MimeMessage message = TestKeys.Message();
        TestKeys.Sign(message, pair, "example.com", selector, algorithm);
        return TestKeys.Bytes(message);
    }

    [Fact]
    public async Task Rsa_sha256_with_a_2048_bit_key_passes()
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa2048)));

        Assert.Equal(DkimResult.Pass, outcome.Result);
        Assert.Equal(("example.com", "sel", "rsa-sha256", 2048), (outcome.Domain, outcome.Selector, outcome.Algorithm, outcome.KeyBits));
        Assert.Equal(8, outcome.HeaderB!.Length);
    }

    [Fact]
    public async Task Ed25519_sha256_passes()
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Ed25519));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Ed25519)));

        Assert.Equal(DkimResult.Pass, outcome.Result);
        Assert.Equal("ed25519-sha256", outcome.Algorithm);
    }

    [Fact]
    public async Task Rsa_sha1_never_passes()
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa2048, algorithm: DkimSignatureAlgorithm.RsaSha1)));

        Assert.Equal(DkimResult.Fail, outcome.Result);
        Assert.Contains("RFC 8301", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_under_1024_bits_fails()
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa512));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa512)));

        Assert.Equal(DkimResult.Fail, outcome.Result);
        Assert.Contains("key too short (512 bits)", outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Subject: Test", "Subject: Changed")]
    [InlineData("this is a test message.", "this is a changed message.")]
    [InlineData("From: alice@example.com", "From: mallory@example.com")]
    public async Task A_changed_header_or_body_fails(string original, string tampered)
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048));
        byte[] content = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(Signed(TestKeys.Rsa2048)).Replace(original, tampered, StringComparison.Ordinal));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, content));

        Assert.Equal(DkimResult.Fail, outcome.Result);
    }

    [Theory]
    [InlineData("v=DKIM1; p=", DkimResult.Fail, "key revoked")]
    [InlineData(null, DkimResult.PermError, "no key for signature")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA", DkimResult.PermError, "bad key record")]
    [InlineData("v=DKIM1; h=sha1; p=KEY", DkimResult.PermError, "key h= does not allow sha256")]
    [InlineData("v=DKIM1; s=tlsrpt; p=KEY", DkimResult.PermError, "not for email")]
    [InlineData("v=DKIM1; k=ed25519; p=EDKEY", DkimResult.PermError, "key is k=ed25519, signature a=rsa-sha256")]
    public async Task Key_records_are_held_to_the_rfc(string? record, DkimResult expected, string reason)
    {
        var dns = new FakeDns();
        if (record is not null)
        {
            string rsaP = TestKeys.Record(TestKeys.Rsa2048).Split("p=")[1];
            string edP = TestKeys.Record(TestKeys.Ed25519).Split("p=")[1];
            dns.Txt("sel._domainkey.example.com", record.Replace("p=KEY", "p=" + rsaP, StringComparison.Ordinal).Replace("p=EDKEY", "p=" + edP, StringComparison.Ordinal));
        }

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa2048)));

        Assert.Equal(expected, outcome.Result);
        Assert.Contains(reason, outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dns_failure_is_a_temperror()
    {
        var dns = new FakeDns().Fail("sel._domainkey.example.com");

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa2048)));

        Assert.Equal(DkimResult.TempError, outcome.Result);
    }

    [Fact]
    public async Task A_testing_key_still_passes_and_says_so()
    {
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048, " t=y;"));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, Signed(TestKeys.Rsa2048)));

        Assert.Equal(DkimResult.Pass, outcome.Result);
        Assert.True(outcome.Testing);
        Assert.Contains("t=y", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_signature_is_reported_on_its_own()
    {
        MimeMessage message = TestKeys.Message();
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "rsa");
        TestKeys.Sign(message, TestKeys.Ed25519, "example.com", "ed");
        TestKeys.Sign(message, TestKeys.Rsa2048, "list.example.net", "gone");
        var dns = new FakeDns()
            .Txt("rsa._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
            .Txt("ed._domainkey.example.com", TestKeys.Record(TestKeys.Ed25519));

        IReadOnlyList<DkimSignatureOutcome> outcomes = await VerifyAsync(dns, TestKeys.Bytes(message));

        Assert.Equal(
            [("list.example.net", DkimResult.PermError), ("example.com", DkimResult.Pass), ("example.com", DkimResult.Pass)],
            outcomes.Select(o => (o.Domain!, o.Result)).ToArray());
    }

    [Fact]
    public async Task A_message_without_signatures_has_no_outcomes()
    {
        Assert.Empty(await VerifyAsync(new FakeDns(), TestKeys.Bytes(TestKeys.Message())));
    }

    [Fact]
    public async Task Body_length_limit_covering_the_body_passes_with_a_note()
    {
        (byte[] signed, _) = SignedWithBodyLength();
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, signed));

        Assert.Equal(DkimResult.Pass, outcome.Result);
        Assert.NotNull(outcome.BodyLength);
        Assert.Contains("covers the whole body", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_appended_past_the_body_length_limit_is_not_a_pass()
    {
        (byte[] signed, _) = SignedWithBodyLength();
        byte[] appended = [.. signed, .. "Click here: http://evil.example/\r\n"u8];
        var dns = new FakeDns().Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048));

        DkimSignatureOutcome outcome = Assert.Single(await VerifyAsync(dns, appended));

        Assert.Equal(DkimResult.Policy, outcome.Result);
        Assert.Contains("unsigned", outcome.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Hello  \r\n\r\nworld\t \r\n\r\n\r\n", true, 16)]
    [InlineData("Hello  \r\n\r\nworld\t \r\n\r\n\r\n", false, 20)]
    [InlineData("", false, 2)]
    [InlineData("", true, 0)]
    [InlineData("a \t b\r\n", true, 5)]
    public void Canonical_body_length_follows_rfc_6376(string body, bool relaxed, long expected)
    {
        Assert.Equal(expected, DkimBodyLength.Canonical(Encoding.ASCII.GetBytes("Subject: x\r\n\r\n" + body), relaxed));
    }

    // MimeKit's signer has no l=; sign with a DKIM-Signature built here (relaxed/relaxed, l= the whole body) instead.
    private static (byte[] Signed, long Length) SignedWithBodyLength()
    {
        MimeMessage message = TestKeys.Message();
        byte[] unsigned = TestKeys.Bytes(message);
        long length = DkimBodyLength.Canonical(unsigned, relaxed: true);
        var signer = new LengthLimitedSigner(TestKeys.Rsa2048.Private, length);
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject]);
        return (TestKeys.Bytes(message), length);
    }

    /// <summary>MimeKit's signer, with l= added to the signature it writes (the body hash of a full body equals the
    /// hash of the first l octets when l is the whole canonical body).</summary>
    private sealed class LengthLimitedSigner(Org.BouncyCastle.Crypto.AsymmetricKeyParameter key, long length)
    {
        public void Sign(MimeMessage message, HeaderId[] headers)
        {
            // Sign once to learn bh=, then re-sign a signature that carries l= by hand.
            var signer = new DkimSigner(key, "example.com", "sel")
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            MimeMessage probe = TestKeys.Parse(TestKeys.Bytes(message));
            signer.Sign(probe, headers);
            string value = probe.Headers[HeaderId.DkimSignature] ?? throw new InvalidOperationException("not signed");
            string bh = value.Split(';').Select(t => t.Trim()).First(t => t.StartsWith("bh=", StringComparison.Ordinal))[3..];
            string h = value.Split(';').Select(t => t.Trim()).First(t => t.StartsWith("h=", StringComparison.Ordinal))[2..];
            string unsignedValue = $"v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sel; l={length}; h={h}; bh={bh}; b=";
            string canonical = CanonicalHeaders(message, h.Split(':')) + "dkim-signature:" + Relax(unsignedValue);
            var rsa = Org.BouncyCastle.Security.SignerUtilities.GetSigner("SHA256withRSA");
            rsa.Init(true, key);
            byte[] data = Encoding.ASCII.GetBytes(canonical);
            rsa.BlockUpdate(data, 0, data.Length);
            string b = Convert.ToBase64String(rsa.GenerateSignature());
            message.Headers.Insert(0, new Header(HeaderId.DkimSignature, unsignedValue + b));
        }

        private static string CanonicalHeaders(MimeMessage message, string[] names)
        {
            var text = new StringBuilder();
            foreach (string name in names)
            {
                Header header = message.Headers.Last(x => x.Field.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));
                text.Append(name.Trim().ToLowerInvariant()).Append(':').Append(Relax(header.Value)).Append("\r\n");
            }

            return text.ToString();
        }

        private static string Relax(string value) =>
            System.Text.RegularExpressions.Regex.Replace(value.Replace("\r\n", "", StringComparison.Ordinal), "[ \t]+", " ").Trim();
    }
}
