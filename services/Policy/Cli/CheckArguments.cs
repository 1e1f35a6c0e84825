namespace EmailPipeline.Policy.Cli;

/// <summary>The checker's command line: a command, then "--name value" pairs.</summary>
public sealed record CheckArguments(
    string Command,
    string ClientAddress,
    string Helo,
    string MailFrom,
    string? MessagePath,
    string? Dns,
    string? AuthServId,
    string? PublicSuffixList)
{
    public const string Usage =
        "usage: EmailPipeline.Policy check|spf|dkim|dmarc --ip ADDRESS --helo NAME --mail-from ADDRESS|\"\" --message FILE\n" +
        "       [--dns HOST:PORT] [--authserv-id NAME] [--public-suffix-list FILE]\n" +
        "  (--client-ip and --file are accepted for --ip and --message; dkim needs only --message, spf no --message)";

    public static bool TryParse(string[] args, out CheckArguments? parsed, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(args);
        parsed = null;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i++)
        {
            string name = args[i] switch
            {
                "--client-ip" => "--ip",
                "--file" => "--message",
                var other => other,
            };
            if (name is not ("--ip" or "--helo" or "--mail-from" or "--message" or "--dns" or "--authserv-id" or "--public-suffix-list") || i + 1 >= args.Length)
            {
                problem = $"unexpected argument '{args[i]}'";
                return false;
            }

            values[name] = args[++i];
        }

        string command = args[0];
        string[] required = command switch
        {
            "spf" => ["--ip", "--helo", "--mail-from"],
            "dkim" => ["--message"],
            _ => ["--ip", "--helo", "--mail-from", "--message"],
        };
        string? missing = required.FirstOrDefault(r => !values.ContainsKey(r));
        if (missing is not null)
        {
            problem = $"{command} needs {missing}";
            return false;
        }

        if (values.TryGetValue("--ip", out string? ip) && !System.Net.IPAddress.TryParse(ip, out _))
        {
            problem = $"--ip {ip} is not an IP address";
            return false;
        }

        parsed = new CheckArguments(
            command,
            values.GetValueOrDefault("--ip", "127.0.0.1"),
            values.GetValueOrDefault("--helo", "localhost"),
            values.GetValueOrDefault("--mail-from", ""),
            values.GetValueOrDefault("--message"),
            values.GetValueOrDefault("--dns"),
            values.GetValueOrDefault("--authserv-id"),
            values.GetValueOrDefault("--public-suffix-list"));
        problem = null;
        return true;
    }

    /// <summary>The options these arguments set, as configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> Settings()
    {
        if (Dns is not null)
        {
            yield return new("Policy:Dns:NameServers:0", Dns);
        }

        yield return new("Policy:AuthServId", AuthServId ?? Environment.GetEnvironmentVariable("Policy__AuthServId") ?? Environment.MachineName.ToLowerInvariant());
        if (PublicSuffixList is not null)
        {
            yield return new("Policy:Dmarc:PublicSuffixListPath", PublicSuffixList);
        }
    }
}
