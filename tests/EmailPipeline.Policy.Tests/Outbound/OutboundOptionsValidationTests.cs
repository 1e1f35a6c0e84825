using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>Bad settings stop the service at start-up with one line per problem (ServiceDefaults prints them and
/// exits 78); the lines name the setting or file, never a key or a password.</summary>
public sealed class OutboundOptionsValidationTests : IDisposable
{
    private readonly KeyDirectory _keys = new();

    public void Dispose() => _keys.Dispose();

    [Fact]
    public async Task A_missing_key_file_stops_start_up_naming_the_setting_and_file()
    {
        string missing = Path.Combine(_keys.Path, "gone.pem");
        IReadOnlyList<string> failures = await FailuresAsync(new()
        {
            ["Policy:Signing:Keys:0:Domain"] = "example.com",
            ["Policy:Signing:Keys:0:Selector"] = "s1",
            ["Policy:Signing:Keys:0:KeyFile"] = missing,
        });

        Assert.Equal($"Policy:Signing:Keys:0: the key file '{missing}' does not exist.", Assert.Single(failures));
    }

    [Fact]
    public async Task A_missing_key_directory_stops_start_up()
    {
        string missing = Path.Combine(_keys.Path, "not-mounted");
        Assert.Equal($"Policy:Signing:KeyDirectory '{missing}' does not exist.",
            Assert.Single(await FailuresAsync(new() { ["Policy:Signing:KeyDirectory"] = missing })));
    }

    [Fact]
    public async Task Every_bad_file_in_the_key_directory_is_reported_at_once_without_its_content()
    {
        string truncated = TestKeys.Rsa2048.Pem[..(TestKeys.Rsa2048.Pem.Length / 2)];
        _keys.Add("cut", "example.com", truncated);
        _keys.Add("pub", "example.org", PemEncoding.WriteString("PUBLIC KEY", RSA.Create(2048).ExportSubjectPublicKeyInfo()));
        _keys.Add("weak", "example.net", TestKeys.Rsa1024.Pem);
        _keys.Add("ec", "example.info", ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem());
        using (RSA rsa = RSA.Create(2048))
        {
            _keys.Add("locked", "example.biz", rsa.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        }

        _keys.Write("example.com.pem", TestKeys.Ed25519Sha256.Pem);
        _keys.Write("README.txt", "not a key, not *.pem: ignored");

        IReadOnlyList<string> failures = await FailuresAsync(new() { ["Policy:Signing:KeyDirectory"] = _keys.Path });

        Assert.Contains(failures, f => f.Contains("cut._domainkey.example.com.pem'", StringComparison.Ordinal) && f.EndsWith("is not a readable PEM private key.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("pub._domainkey.example.org.pem", StringComparison.Ordinal) && f.Contains("holds no private key", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("weak._domainkey.example.net.pem", StringComparison.Ordinal) && f.Contains("has 1024 bits; at least 2048 are required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("ec._domainkey.example.info.pem", StringComparison.Ordinal) && f.Contains("neither RSA nor Ed25519", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("locked._domainkey.example.biz.pem", StringComparison.Ordinal) && f.Contains("encrypted", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("'example.com.pem' is not named <selector>._domainkey.<domain>.pem", StringComparison.Ordinal));
        Assert.Equal(6, failures.Count);

        string all = string.Join("\n", failures);
        Assert.DoesNotContain("PRIVATE KEY-----", all, StringComparison.Ordinal);
        Assert.All(TestKeys.Rsa2048.SecretLines.Concat(TestKeys.Rsa1024.SecretLines), line => Assert.DoesNotContain(line[..20], all, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Two_keys_of_one_algorithm_for_one_domain_are_refused()
    {
        _keys.Add("a", "example.com", TestKeys.Rsa2048.Pem);
        _keys.Add("b", "example.com", TestKeys.OtherRsa2048.Pem);

        string failure = Assert.Single(await FailuresAsync(new() { ["Policy:Signing:KeyDirectory"] = _keys.Path }));
        Assert.StartsWith("Policy:Signing: 2 rsa-sha256 keys for example.com", failure, StringComparison.Ordinal);
        Assert.EndsWith("keep one key per algorithm and domain.", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Header_lists_that_would_break_signing_are_refused()
    {
        IReadOnlyList<string> failures = await FailuresAsync(new()
        {
            ["Policy:Signing:SignedHeaders:0"] = "Subject",
            ["Policy:Signing:SignedHeaders:1"] = "Received",
            ["Policy:Signing:OversignedHeaders:0"] = "Bad Name",
            ["Policy:Signing:MinimumRsaKeyBits"] = "512",
        });

        Assert.Equal(
        [
            "Policy:Signing:MinimumRsaKeyBits must be at least 1024 (RFC 8301), not 512.",
            "Policy:Signing:SignedHeaders must include From (RFC 6376 §5.4).",
            "Policy:Signing: 'Received' must not be signed: it changes in transit (RFC 6376 §5.4).",
            "Policy:Signing: 'Bad Name' is not a header field name.",
        ], failures);
    }

    [Fact]
    public async Task Bad_limits_are_refused_and_a_connection_string_is_never_echoed()
    {
        IReadOnlyList<string> failures = await FailuresAsync(new()
        {
            ["Policy:Limits:PerUser:PerMinute"] = "-1",
            ["Policy:Limits:Domains:example.com:PerHour"] = "-5",
            ["Policy:Limits:StoreTimeout"] = "00:00:00",
            ["Policy:Limits:ConnectionString"] = "Host=db;Password=hunter2;NoSuchKeyword=1",
        });

        Assert.Equal(
        [
            "Policy:Limits:PerUser:PerMinute must be 0 (no limit) or more, not -1.",
            "Policy:Limits:Domains:example.com:PerHour must be 0 (no limit) or more, not -5.",
            "Policy:Limits:StoreTimeout must be positive, not 00:00:00.",
            "Policy:Limits:ConnectionString is not a valid PostgreSQL connection string (e.g. \"Host=db;Username=policy;Password=…;Database=policy\").",
        ], failures);
    }

    [Fact]
    public async Task Valid_keys_in_both_pem_forms_start_the_service()
    {
        _keys.Add("pkcs1", "example.com", TestKeys.Rsa2048.Pem);
        _keys.Add("ed", "example.com", TestKeys.Ed25519Sha256.Pem);
        _keys.Add("pkcs8", "example.org", TestKeys.OtherRsa2048.Pem);
        _keys.Write("..data", "Kubernetes bookkeeping");

        await using OutboundHost host = await OutboundHost.StartAsync(new Dictionary<string, string?> { ["Policy:Signing:KeyDirectory"] = _keys.Path });

        Assert.Equal(3, host.Logs.Lines.Count(l => l.Contains("[4501]", StringComparison.Ordinal)));
        Assert.Contains(host.Logs.Lines, l => l.Contains("DKIM key ed._domainkey.example.com loaded: ed25519-sha256, 256 bits", StringComparison.Ordinal));
        Assert.Contains(host.Logs.Lines, l => l.Contains("DKIM key pkcs8._domainkey.example.org loaded: rsa-sha256, 2048 bits", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_openssl_made_ed25519_key_is_accepted()
    {
        string file = Path.Combine(_keys.Path, "ossl._domainkey.example.com.pem");
        EmailPipeline.Testing.ExternalTool.Result made = await EmailPipeline.Testing.ExternalTool.RunAsync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", file]);
        Assert.Equal(0, made.ExitCode);

        await using OutboundHost host = await OutboundHost.StartAsync(new Dictionary<string, string?> { ["Policy:Signing:KeyDirectory"] = _keys.Path });
        Assert.Contains(host.Logs.Lines, l => l.Contains("DKIM key ossl._domainkey.example.com loaded: ed25519-sha256", StringComparison.Ordinal));
    }

    private static async Task<IReadOnlyList<string>> FailuresAsync(Dictionary<string, string?> settings)
    {
        Exception thrown = await Assert.ThrowsAnyAsync<Exception>(() => OutboundHost.StartAsync(settings));
        return Failures(thrown);
    }

    /// <summary>As ServiceDefaults' RunServiceAsync collects them before exiting 78.</summary>
    private static List<string> Failures(Exception ex) => ex switch
    {
        OptionsValidationException v => [.. v.Failures],
        AggregateException a => [.. a.InnerExceptions.SelectMany(Failures)],
        _ => throw new Xunit.Sdk.XunitException($"not a validation failure: {ex}"),
    };
}
