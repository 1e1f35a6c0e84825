using System.Text.Json;

namespace EmailPipeline.Testing;

/// <summary>The operator's command line (tools/Cli, built alongside the services) run against a pipeline's
/// store and vhost, as an operator would: <c>dotnet emailpipeline.dll … --store sqlite:… --rabbitmq …</c>.</summary>
public static class OperatorCli
{
    public static string Dll => Path.Combine(RepositoryPaths.Root, "tools", "Cli", "bin", RepositoryPaths.Configuration, "net10.0", "emailpipeline.dll");

    public static Task<ExternalTool.Result> RunAsync(Pipeline pipeline, params string[] args) =>
        ExternalTool.RunAsync("dotnet", new[] { Dll }.Concat(args).Concat(["--store", "sqlite:" + pipeline.QueueDatabase, "--rabbitmq", pipeline.Broker.Url]), timeout: TimeSpan.FromSeconds(60));

    /// <summary>(message id, recipient, state) for every recipient of every message, from <c>queue list --all --json</c>.</summary>
    public static async Task<List<(string MessageId, string Recipient, string State)>> RecipientsAsync(Pipeline pipeline)
    {
        ExternalTool.Result r = await RunAsync(pipeline, "queue", "list", "--all", "--json", "--limit", "100000");
        Assert.True(r.ExitCode == 0, "queue list failed: " + r.All);
        using JsonDocument doc = JsonDocument.Parse(r.Output);
        JsonElement messages = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement : doc.RootElement.GetProperty("messages");
        var list = new List<(string, string, string)>();
        foreach (JsonElement m in messages.EnumerateArray())
        {
            string id = m.GetProperty("messageId").GetString()!;
            foreach (JsonElement rcpt in m.GetProperty("recipients").EnumerateArray())
            {
                list.Add((id, rcpt.GetProperty("address").GetString()!, rcpt.GetProperty("state").GetString()!));
            }
        }

        return list;
    }
}
