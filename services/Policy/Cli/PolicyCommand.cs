using System.Text.Json;
using System.Text.Json.Serialization;
using EmailPipeline.Contracts;
using EmailPipeline.Policy.Checks;
using EmailPipeline.Policy.Dkim;
using EmailPipeline.Policy.Extensions;
using EmailPipeline.Policy.Spf;
using Microsoft.Extensions.Options;
using MimeKit;

namespace EmailPipeline.Policy.Cli;

/// <summary>
/// The checks from the command line, for operators and tests:
/// <c>check --ip 192.0.2.1 --helo mail.example.com --mail-from a@example.com --message msg.eml [--dns 127.0.0.1:5353]</c>
/// prints the Authentication-Results field and a JSON object with every result and the verdict. <c>spf</c> (no message
/// needed), <c>dkim</c> and <c>dmarc</c> print only their part. Configuration comes from the environment as for the
/// service (Policy__…); the options here win. Exit code: 0 accept, 1 reject, 2 tempfail, 64 usage, 78 configuration.
/// </summary>
public static class PolicyCommand
{
    private static readonly string[] Commands = ["check", "spf", "dkim", "dmarc"];

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static bool IsCommand(string[] args) => args.Length > 0 && Commands.Contains(args[0]);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (!CheckArguments.TryParse(args, out CheckArguments? parsed, out string? problem))
        {
            await error.WriteLineAsync(problem + "\n" + CheckArguments.Usage).ConfigureAwait(false);
            return 64;
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddInMemoryCollection(parsed!.Settings()).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging()
            .AddMetrics()
            .AddPolicyChecks();
        await using ServiceProvider provider = services.BuildServiceProvider();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            return parsed.Command switch
            {
                "spf" => await SpfAsync(provider, parsed, output, cancel.Token).ConfigureAwait(false),
                "dkim" => await DkimAsync(provider, parsed, output, cancel.Token).ConfigureAwait(false),
                _ => await CheckAsync(provider, parsed, output, cancel.Token).ConfigureAwait(false),
            };
        }
        catch (OptionsValidationException ex)
        {
            foreach (string failure in ex.Failures)
            {
                await error.WriteLineAsync("Configuration error: " + failure).ConfigureAwait(false);
            }

            return 78;
        }
        catch (IOException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return 66;
        }
    }

    private static async Task<int> SpfAsync(ServiceProvider provider, CheckArguments a, TextWriter output, CancellationToken ct)
    {
        SpfOutcome spf = await provider.GetRequiredService<SpfEvaluator>()
            .CheckMailFromAsync(System.Net.IPAddress.Parse(a.ClientAddress), a.MailFrom, a.Helo, ct).ConfigureAwait(false);
        await output.WriteLineAsync(JsonSerializer.Serialize(new { spf }, Json)).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> DkimAsync(ServiceProvider provider, CheckArguments a, TextWriter output, CancellationToken ct)
    {
        byte[] content = await File.ReadAllBytesAsync(a.MessagePath!, ct).ConfigureAwait(false);
        if (await InboundChecks.LoadAsync(content, ct).ConfigureAwait(false) is not { } message)
        {
            await output.WriteLineAsync($"{a.MessagePath}: not a message (no header section can be read); nothing to verify").ConfigureAwait(false);
            return 65; // EX_DATAERR
        }

        IReadOnlyList<DkimSignatureOutcome> dkim = await provider.GetRequiredService<DkimChecker>().VerifyAsync(message, content, ct).ConfigureAwait(false);
        await output.WriteLineAsync(JsonSerializer.Serialize(new { dkim }, Json)).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> CheckAsync(ServiceProvider provider, CheckArguments a, TextWriter output, CancellationToken ct)
    {
        byte[] content = await File.ReadAllBytesAsync(a.MessagePath!, ct).ConfigureAwait(false);
        InboundReport report = await provider.GetRequiredService<InboundChecks>().CheckAsync(a.ClientAddress, a.Helo, a.MailFrom, content, ct).ConfigureAwait(false);
        PolicyVerdict verdict = provider.GetRequiredService<MessagePolicy>().Decide(report);
        if (a.Command == "dmarc")
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(new { dmarc = report.Dmarc, arcOverride = report.ArcOverride }, Json)).ConfigureAwait(false);
        }
        else
        {
            string authServId = provider.GetRequiredService<IOptions<PolicyOptions>>().Value.AuthServId;
            await output.WriteAsync(AuthenticationResultsHeader.Build(authServId, report).ReplaceLineEndings("\n")).ConfigureAwait(false);
            var verdictJson = new { verdict.Action, verdict.ReplyCode, verdict.EnhancedStatus, verdict.ReplyText, verdict.Quarantine };
            await output.WriteLineAsync(JsonSerializer.Serialize(
                new { spf = report.Spf, dkim = report.Dkim, dmarc = report.Dmarc, arc = report.Arc, dnsLists = report.DnsLists, arcOverride = report.ArcOverride, verdict = verdictJson },
                Json)).ConfigureAwait(false);
        }

        return verdict.Action switch
        {
            PolicyAction.Accept => 0,
            PolicyAction.Reject => 1,
            _ => 2,
        };
    }
}
