using System.Net;
using System.Text;
using EmailPipeline.Contracts;
using EmailPipeline.Testing;

namespace EmailPipeline.Policy.Tests.Outbound;

/// <summary>
/// Another implementation's verdict on our signatures: OpenDKIM's opendkim-testmsg (Debian's opendkim-tools,
/// installed by scripts/setup-machine.sh) verifies the message as the ingress queues it. It looks keys up
/// through the system resolver, so it runs in its own mount namespace (unshare -m) where /etc/resolv.conf
/// points at a DNS server on a loopback address inside this test; nothing outside that process changes.
/// </summary>
public sealed class OpenDkimInteropTests : IAsyncLifetime
{
    private const string TestMsg = "/usr/sbin/opendkim-testmsg";

    private readonly KeyDirectory _keys = new();
    private readonly string _resolvConf = Path.Combine(Path.GetTempPath(), $"resolv-{Guid.NewGuid():N}.conf");
    private DnsZoneServer? _dns;
    private OutboundHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _keys.Add("rsa2026", "example.com", TestKeys.Rsa2048.Pem);
        _keys.Add("ed2026", "ed25519.example", TestKeys.Ed25519Sha256.Pem);
        _host = await OutboundHost.StartAsync(new Dictionary<string, string?> { ["Policy:Signing:KeyDirectory"] = _keys.Path });
        if (!File.Exists(TestMsg))
        {
            return;
        }

        // A loopback address of its own, so port 53 is free whatever else this machine runs.
        var address = new IPAddress([127, 53, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);
        _dns = new DnsZoneServer(new IPEndPoint(address, 53))
            .Txt("rsa2026._domainkey.example.com", TestKeys.Rsa2048.DnsRecord)
            .Txt("ed2026._domainkey.ed25519.example", TestKeys.Ed25519Sha256.DnsRecord);
        await File.WriteAllTextAsync(_resolvConf, $"nameserver {address}\noptions timeout:2 attempts:1\n");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        _dns?.Dispose();
        File.Delete(_resolvConf);
        _keys.Dispose();
    }

    [Fact]
    public async Task OpenDkim_verifies_the_rsa_signature_on_the_queued_message_and_rejects_a_tampered_one()
    {
        Assert.SkipUnless(File.Exists(TestMsg), "opendkim-testmsg is not installed (Debian package opendkim-tools; scripts/setup-machine.sh installs it)");

        CheckMessage check = Submissions.Check(Submissions.Plain);
        PolicyVerdict verdict = (await _host.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
        byte[] queued = Submissions.Assemble(verdict, check);

        ExternalTool.Result good = await VerifyAsync(queued);
        Assert.SkipWhen(good.All.Contains("unshare", StringComparison.Ordinal) || good.All.Contains("mount", StringComparison.Ordinal),
            $"no private mount namespace here (unshare -m needs CAP_SYS_ADMIN): {good.All}");
        Assert.True(good.ExitCode == 0 && good.All.Length == 0, $"opendkim-testmsg: exit {good.ExitCode}: {good.All}");

        string text = Encoding.UTF8.GetString(queued).Replace("Subject: Quarterly numbers", "Subject: Quarterly numbers (changed)", StringComparison.Ordinal);
        ExternalTool.Result bad = await VerifyAsync(Encoding.UTF8.GetBytes(text));
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("Bad signature", bad.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenDkim_verifies_the_ed25519_signature_and_rejects_a_changed_body()
    {
        Assert.SkipUnless(File.Exists(TestMsg), "opendkim-testmsg is not installed (Debian package opendkim-tools; scripts/setup-machine.sh installs it)");

        CheckMessage check = Submissions.Check(Submissions.Plain.Replace("alice@example.com>", "alice@ed25519.example>", StringComparison.Ordinal), sender: "alice@ed25519.example");
        PolicyVerdict verdict = (await _host.Policy.DecideAsync(check, TestContext.Current.CancellationToken))!;
        Assert.Contains("a=ed25519-sha256", verdict.HeadersToPrepend, StringComparison.Ordinal);

        ExternalTool.Result result = await VerifyAsync(Submissions.Assemble(verdict, check));
        Assert.SkipWhen(result.All.Contains("unshare", StringComparison.Ordinal) || result.All.Contains("mount", StringComparison.Ordinal),
            $"no private mount namespace here (unshare -m needs CAP_SYS_ADMIN): {result.All}");
        Assert.True(result.ExitCode == 0 && result.All.Length == 0, $"opendkim-testmsg: exit {result.ExitCode}: {result.All}");

        string tampered = Encoding.UTF8.GetString(Submissions.Assemble(verdict, check)).Replace("attached", "attacked", StringComparison.Ordinal);
        ExternalTool.Result bad = await VerifyAsync(Encoding.UTF8.GetBytes(tampered));
        Assert.NotEqual(0, bad.ExitCode);
    }

    private async Task<ExternalTool.Result> VerifyAsync(byte[] message)
    {
        // opendkim-testmsg reads text lines; it is given the bytes as they would be stored (CRLF).
        return await ExternalTool.RunAsync("unshare",
            ["-m", "sh", "-c", $"mount --bind \"$1\" /etc/resolv.conf && exec {TestMsg}", "sh", _resolvConf],
            stdin: Encoding.UTF8.GetString(message), timeout: TimeSpan.FromSeconds(30));
    }
}
