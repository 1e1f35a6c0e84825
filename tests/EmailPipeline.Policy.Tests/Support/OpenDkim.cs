using EmailPipeline.Testing;
using System.Text;
using System.Text.RegularExpressions;

namespace EmailPipeline.Policy.Tests.Support;

/// <summary>
/// OpenDKIM (Debian's opendkim and opendkim-tools) as a second, independent DKIM implementation: opendkim-genkey makes
/// the key pair and its TXT record; the opendkim filter's test mode (-t) signs rsa-sha256; opendkim-testmsg signs
/// rsa-sha1 (its only algorithm).
/// </summary>
internal sealed partial class OpenDkim : IDisposable
{
    private readonly string _directory;

    private OpenDkim(string directory, string domain, string selector, string record)
    {
        _directory = directory;
        Domain = domain;
        Selector = selector;
        Record = record;
    }

    public static bool Installed => File.Exists("/usr/sbin/opendkim") && File.Exists("/usr/sbin/opendkim-genkey") && File.Exists("/usr/sbin/opendkim-testmsg");

    public string Domain { get; }

    public string Selector { get; }

    /// <summary>The TXT record opendkim-genkey wrote, as one string.</summary>
    public string Record { get; }

    public static async Task<OpenDkim> GenerateAsync(string domain, string selector)
    {
        string directory = Directory.CreateTempSubdirectory("opendkim-").FullName;
        ExternalTool.Result genkey = await ExternalTool.RunAsync("/usr/sbin/opendkim-genkey", ["-b", "2048", "-d", domain, "-s", selector, "-D", directory]);
        Assert.True(genkey.ExitCode == 0, genkey.All);

        // selector._domainkey IN TXT ( "v=DKIM1; h=sha256; k=rsa; " "p=MIIB…" "…" ) ; comment
        string zone = await File.ReadAllTextAsync(Path.Combine(directory, selector + ".txt"));
        string record = string.Concat(QuotedString().Matches(zone[..zone.IndexOf(')', StringComparison.Ordinal)]).Select(m => m.Groups[1].Value));
        return new OpenDkim(directory, domain, selector, record);
    }

    /// <summary>The message with OpenDKIM's rsa-sha256 relaxed/relaxed DKIM-Signature on top.</summary>
    public async Task<byte[]> SignSha256Async(string message)
    {
        string input = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".eml");
        await File.WriteAllTextAsync(input, message);
        string config = Path.Combine(_directory, "opendkim.conf");
        await File.WriteAllTextAsync(config,
            $"Domain {Domain}\nSelector {Selector}\nKeyFile {Path.Combine(_directory, Selector + ".private")}\n" +
            "SignatureAlgorithm rsa-sha256\nCanonicalization relaxed/relaxed\nMode s\nSyslog no\nRequireSafeKeys false\n");
        ExternalTool.Result signed = await ExternalTool.RunAsync("/usr/sbin/opendkim", ["-x", config, "-t", input, "-vv"]);
        Match header = InsertedHeader().Match(signed.All);
        Assert.True(header.Success, "opendkim inserted no DKIM-Signature:\n" + signed.All);
        string value = header.Groups[1].Value.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        return Encoding.ASCII.GetBytes("DKIM-Signature: " + value + "\r\n" + message);
    }

    /// <summary>The message as opendkim-testmsg signs it: rsa-sha1.</summary>
    public async Task<byte[]> SignSha1Async(string message)
    {
        ExternalTool.Result signed = await ExternalTool.RunAsync("/usr/sbin/opendkim-testmsg",
            ["-C", "-d", Domain, "-s", Selector, "-k", Path.Combine(_directory, Selector + ".private"), "-t", _directory], stdin: message);
        Assert.True(signed.ExitCode == 0, signed.All);
        return Encoding.ASCII.GetBytes(signed.Output);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [GeneratedRegex("\"([^\"]*)\"")]
    private static partial Regex QuotedString();

    [GeneratedRegex("### INSHEADER: idx=0 hname='DKIM-Signature' hvalue='(.*?)'\\s*$", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex InsertedHeader();
}
