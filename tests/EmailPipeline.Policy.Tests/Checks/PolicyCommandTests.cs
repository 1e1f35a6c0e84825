using EmailPipeline.Policy.Cli;
using EmailPipeline.Policy.Tests.Support;
using EmailPipeline.Testing;
using MimeKit;

namespace EmailPipeline.Policy.Tests.Checks;

/// <summary>The command-line checker against a DNS server on loopback, as an operator would run it.</summary>
public sealed class PolicyCommandTests : IDisposable
{
    private readonly DnsZoneServer _dns = new DnsZoneServer()
        .Txt("sel._domainkey.example.com", TestKeys.Record(TestKeys.Rsa2048))
        .Txt("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
        .Txt("_dmarc.example.com", "v=DMARC1; p=reject");

    private readonly string _file = Path.GetTempFileName();

    public PolicyCommandTests()
    {
        MimeMessage message = TestKeys.Message();
        TestKeys.Sign(message, TestKeys.Rsa2048, "example.com", "sel");
        File.WriteAllBytes(_file, TestKeys.Bytes(message));
    }

    public void Dispose()
    {
        _dns.Dispose();
        File.Delete(_file);
    }

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await PolicyCommand.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Check_prints_authentication_results_and_json_and_exits_0_on_accept()
    {
        var (exit, output, _) = await RunAsync("check", "--ip", "192.0.2.1", "--helo", "mail.example.com", "--mail-from", "alice@example.com",
            "--message", _file, "--dns", _dns.Address, "--authserv-id", "mx.cli.test");

        Assert.Equal(0, exit);
        Assert.StartsWith("Authentication-Results: mx.cli.test;\n\tspf=pass", output, StringComparison.Ordinal);
        Assert.Contains("\"result\": \"pass\"", output, StringComparison.Ordinal);
        Assert.Contains("\"disposition\": \"none\"", output, StringComparison.Ordinal);
        Assert.Contains("\"action\": \"accept\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dmarc_reject_exits_1_with_the_reply()
    {
        string forged = Path.GetTempFileName();
        await File.WriteAllBytesAsync(forged, TestKeys.Bytes(TestKeys.Message("ceo@example.com")));
        var (exit, output, _) = await RunAsync("check", "--client-ip", "203.0.113.1", "--helo", "evil.example", "--mail-from", "x@evil.example",
            "--file", forged, "--dns", _dns.Address, "--authserv-id", "mx.cli.test");
        File.Delete(forged);

        Assert.Equal(1, exit);
        Assert.Contains("\"replyCode\": 550", output, StringComparison.Ordinal);
        Assert.Contains("dmarc=fail", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")] // empty DATA
    [InlineData("\u0001\u00ff\u0000garbage with no header section")]
    public async Task Content_that_is_not_a_message_gets_a_verdict_not_a_stack_trace(string content)
    {
        string junk = Path.GetTempFileName();
        await File.WriteAllBytesAsync(junk, System.Text.Encoding.Latin1.GetBytes(content));
        var (exit, output, error) = await RunAsync("check", "--client-ip", "203.0.113.1", "--helo", "evil.example", "--mail-from", "x@evil.example",
            "--file", junk, "--dns", _dns.Address, "--authserv-id", "mx.cli.test");
        var (dkimExit, dkimOutput, _) = await RunAsync("dkim", "--message", junk, "--dns", _dns.Address);
        File.Delete(junk);

        Assert.True(exit == 1, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("\"replyCode\": 550", output, StringComparison.Ordinal);
        Assert.Contains("no header section", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(65, dkimExit);
        Assert.Contains("not a message", dkimOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spf_runs_alone_without_a_message()
    {
        var (exit, output, _) = await RunAsync("spf", "--ip", "203.0.113.1", "--helo", "mail.example.com", "--mail-from", "alice@example.com", "--dns", _dns.Address);

        Assert.Equal(0, exit);
        Assert.Contains("\"result\": \"fail\"", output, StringComparison.Ordinal);
        Assert.Contains("\"mechanism\": \"-all\"", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dkim_runs_alone_on_a_message()
    {
        var (exit, output, _) = await RunAsync("dkim", "--message", _file, "--dns", _dns.Address);

        Assert.Equal(0, exit);
        Assert.Contains("\"domain\": \"example.com\"", output, StringComparison.Ordinal);
        Assert.Contains("\"result\": \"pass\"", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("check", "--ip", "192.0.2.1")]
    [InlineData("check", "--ip", "not-an-ip", "--helo", "h", "--mail-from", "", "--message", "m")]
    [InlineData("spf", "--bogus", "x")]
    public async Task Bad_arguments_print_usage_and_exit_64(params string[] args)
    {
        var (exit, _, error) = await RunAsync(args);

        Assert.Equal(64, exit);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
    }
}
