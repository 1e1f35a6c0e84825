using System.Text.Json;

namespace EmailPipeline.EndToEnd.Tests.Support;

public sealed record StoredRecipient(string Address, string State, int Attempts, int? LastReplyCode, string? LastEnhancedStatus, string? LastDiagnostic)
{
    public bool IsFinal => State is "Delivered" or "Bounced" or "Expired" or "Deleted";
}

public sealed record StoredMessage(string MessageId, string Sender, string? EnvelopeId, IReadOnlyList<StoredRecipient> Recipients)
{
    public StoredRecipient Recipient(string address) =>
        Recipients.Single(r => string.Equals(r.Address, address, StringComparison.OrdinalIgnoreCase));
}

public sealed record StoredAttempt(string AttemptId, int AttemptNumber, string Recipient, string Outcome, int ReplyCode, string EnhancedStatus, string Diagnostic, string? RemoteHost, DateTimeOffset AttemptedAt);

public sealed record StoredView(StoredMessage Message, IReadOnlyList<StoredAttempt> Attempts);

/// <summary>The Queue service's state as an operator sees it: the operator's command line (tools/Cli) with --json.</summary>
public sealed class QueueStoreCli(string store)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static QueueStoreCli Sqlite(string path) => new($"sqlite:{path}");

    public static QueueStoreCli Postgres(string connectionString) => new($"postgres:{connectionString}");

    public static string CliDll => Path.Combine(RepositoryPaths.Root, "tools", "Cli", "bin", RepositoryPaths.Configuration, "net10.0", "emailpipeline.dll");

    public async Task<ExternalTool.Result> RunAsync(params string[] args) =>
        await ExternalTool.RunAsync("dotnet", [CliDll, .. args, "--store", store], timeout: TimeSpan.FromSeconds(60));

    /// <summary>queue show &lt;id&gt; --json; null when the store does not know the id (yet).</summary>
    public async Task<StoredView?> ShowAsync(string id)
    {
        ExternalTool.Result r = await RunAsync("queue", "show", id, "--json");
        if (r.ExitCode == 1)
        {
            return null;
        }

        Assert.True(r.ExitCode == 0, $"emailpipeline queue show {id}: {r.All}");
        return JsonSerializer.Deserialize<StoredView>(r.Output, Json);
    }

    /// <summary>queue list [--all] --json.</summary>
    public async Task<IReadOnlyList<StoredMessage>> ListAsync(bool all = false)
    {
        ExternalTool.Result r = all ? await RunAsync("queue", "list", "--all", "--json") : await RunAsync("queue", "list", "--json");
        Assert.True(r.ExitCode == 0, $"emailpipeline queue list: {r.All}");
        return JsonSerializer.Deserialize<List<StoredMessage>>(r.Output, Json) ?? [];
    }

    /// <summary>Polls until every recipient of the message is in a final state; returns the last view.</summary>
    public async Task<StoredView> WaitFinalAsync(string id, TimeSpan timeout, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        StoredView? view = null;
        while (DateTime.UtcNow < deadline)
        {
            view = await ShowAsync(id);
            if (view is not null && view.Message.Recipients.All(r => r.IsFinal))
            {
                return view;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"message {id} not final after {timeout}: {JsonSerializer.Serialize(view)}\n{context?.Invoke()}");
        return null!;
    }

    /// <summary>
    /// The promise "every accepted recipient ends in exactly one final state": each recipient is final, and the
    /// attempts recorded agree — a Delivered recipient has exactly one Delivered outcome and no Bounced one, a
    /// Bounced recipient exactly one Bounced and no Delivered, an Expired one neither.
    /// </summary>
    public static void AssertExactlyOneFinalState(StoredView view)
    {
        foreach (StoredRecipient r in view.Message.Recipients)
        {
            Assert.True(r.IsFinal, $"{r.Address} is {r.State}");
            var mine = view.Attempts.Where(a => string.Equals(a.Recipient, r.Address, StringComparison.OrdinalIgnoreCase)).ToArray();
            int delivered = mine.Count(a => a.Outcome == "Delivered");
            int bounced = mine.Count(a => a.Outcome == "Bounced");
            (int wantDelivered, int wantBounced) = r.State switch
            {
                "Delivered" => (1, 0),
                "Bounced" => (0, 1),
                _ => (0, 0),
            };
            Assert.True(delivered == wantDelivered && bounced == wantBounced,
                $"{r.Address} is {r.State} but its attempts say delivered×{delivered}, bounced×{bounced}: {JsonSerializer.Serialize(mine)}");
        }
    }
}
