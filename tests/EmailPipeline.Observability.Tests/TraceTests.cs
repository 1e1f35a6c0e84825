using System.Text.Json;
using EmailPipeline.Observability.Tests.Support;

namespace EmailPipeline.Observability.Tests;

/// <summary>
/// Traces as the services export them over OTLP (to a receiver in the test): one trace per message, from the
/// SMTP transaction at the ingress through the policy verdict and the queue to every delivery attempt, and the same ids in the JSON logs.
/// The message used went to a peer that answered 451 the first time: two delivery attempts, a delay queue between.
/// </summary>
[Collection(ObservedCollection.Name)]
public sealed class TraceTests(ObservedPipeline f)
{
    [Fact]
    public async Task One_trace_runs_from_the_SMTP_transaction_through_the_queue_to_every_delivery_attempt()
    {
        string qid = f.RetriedQueueId;
        ReceivedSpan? transaction = null;
        ReceivedSpan[] attempts = [];
        await ObservedPipeline.WaitAsync(() =>
        {
            IReadOnlyList<ReceivedSpan> spans = f.Otlp.Spans;
            transaction = spans.FirstOrDefault(s => s.Name == "smtp.transaction" && s.Attribute("smtp.queue_id") == qid);
            attempts = spans.Where(s => s.Name == "delivery attempt" && s.Attribute("emailpipeline.message_id") == qid).ToArray();
            return transaction is not null && attempts.Length >= 2;
        }, $"the smtp.transaction span and two delivery attempt spans of {qid}");

        Assert.Equal("EmailPipeline.Ingress", transaction!.Service);
        Assert.Equal(ReceivedSpan.Server, transaction.Kind);
        Assert.Equal(32, transaction.TraceId.Length);
        string trace = transaction.TraceId;

        // Every delivery attempt — the first (451) and the retry after the delay queue — is in the message's trace.
        Assert.All(attempts, a =>
        {
            Assert.Equal("EmailPipeline.Delivery", a.Service);
            Assert.True(a.TraceId == trace, $"attempt {a} is not in trace {trace}");
        });
        Assert.Contains(attempts, a => a.Attribute("emailpipeline.deferred") == "1");
        Assert.Contains(attempts, a => a.Attribute("emailpipeline.delivered") == "1");

        IReadOnlyList<ReceivedSpan> inTrace = f.Otlp.Spans.Where(s => s.TraceId == trace).ToArray();
        string dump = string.Join("\n", inTrace.Select(s => s.ToString()));

        // The ingress's publish, the Queue service consuming it, and Delivery consuming the request: MassTransit's
        // spans, each in the same trace, each with its parent in the trace.
        Assert.Contains(inTrace, s => s.Service == "EmailPipeline.Ingress" && s.Kind == ReceivedSpan.Producer);
        Assert.Contains(inTrace, s => s.Service == "EmailPipeline.Queue" && s.Kind == ReceivedSpan.Consumer);
        // The policy verdict asked before the 250: the Policy service's consume of CheckMessage is in the trace too.
        Assert.True(inTrace.Any(s => s.Service == "EmailPipeline.Policy" && s.Kind == ReceivedSpan.Consumer), $"no Policy span in the message's trace:\n{dump}");
        Assert.Contains(inTrace, s => s.Service == "EmailPipeline.Delivery" && s.Kind == ReceivedSpan.Consumer);
        var ids = inTrace.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        ReceivedSpan[] roots = inTrace.Where(s => s.ParentSpanId.Length == 0 || !ids.Contains(s.ParentSpanId)).ToArray();
        Assert.True(roots.Length == 1 && roots[0].SpanId == transaction.SpanId, $"the trace should have the SMTP transaction as its only root:\n{dump}");
        Assert.All(attempts, a => Assert.True(Ancestors(a, inTrace).Any(p => p.SpanId == transaction.SpanId), $"{a} does not descend from the SMTP transaction:\n{dump}"));
    }

    [Fact]
    public async Task Every_message_gets_a_trace_of_its_own()
    {
        await ObservedPipeline.WaitAsync(() => f.Otlp.Spans.Count(s => s.Name == "smtp.transaction") >= 4, "four smtp.transaction spans");
        ReceivedSpan[] transactions = f.Otlp.Spans.Where(s => s.Name == "smtp.transaction" && s.Attribute("smtp.queue_id") is not null).ToArray();
        Assert.Equal(transactions.Length, transactions.Select(t => t.TraceId).Distinct().Count());
    }

    [Fact]
    public async Task Json_logs_of_ingress_and_delivery_carry_the_message_trace_id()
    {
        string qid = f.RetriedQueueId;
        await ObservedPipeline.WaitAsync(() => f.Otlp.Spans.Any(s => s.Name == "smtp.transaction" && s.Attribute("smtp.queue_id") == qid), "transaction span");
        string trace = f.Otlp.Spans.First(s => s.Name == "smtp.transaction" && s.Attribute("smtp.queue_id") == qid).TraceId;

        // Ingress: "queued <id>" (event 1001). Delivery: the attempt's log lines naming the message.
        JsonElement queued = Assert.Single(JsonLines(f.Pipeline.Ingress!.Output), l => l.GetProperty("EventId").GetInt32() == 1001 && l.GetProperty("Message").GetString()!.Contains(qid, StringComparison.Ordinal));
        Assert.Equal(trace, TraceIdOf(queued));
        Assert.True(queued.TryGetProperty("Timestamp", out _), "JSON log lines carry a timestamp");

        JsonElement[] delivery = JsonLines(f.Pipeline.Deliveries[0].Output).Where(l => l.GetProperty("Message").GetString()!.Contains(qid, StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(delivery);
        Assert.All(delivery, l => Assert.Equal(trace, TraceIdOf(l)));
        Assert.All(delivery, l => Assert.Equal(16, SpanIdOf(l).Length));
    }

    private static IEnumerable<ReceivedSpan> Ancestors(ReceivedSpan span, IReadOnlyList<ReceivedSpan> trace)
    {
        var byId = trace.GroupBy(s => s.SpanId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        ReceivedSpan current = span;
        for (int depth = 0; depth < 64 && byId.TryGetValue(current.ParentSpanId, out ReceivedSpan? parent); depth++)
        {
            yield return parent;
            current = parent;
        }
    }

    private static JsonElement[] JsonLines(string output) =>
        output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith('{')).Select(l =>
        {
            using JsonDocument doc = JsonDocument.Parse(l);
            return doc.RootElement.Clone();
        }).Where(e => e.TryGetProperty("EventId", out _) && e.TryGetProperty("Message", out _)).ToArray();

    private static string TraceIdOf(JsonElement line) => ScopeValue(line, "TraceId");

    private static string SpanIdOf(JsonElement line) => ScopeValue(line, "SpanId");

    /// <summary>The JSON console formatter writes scopes as an array; the activity's ids are one object in it.</summary>
    private static string ScopeValue(JsonElement line, string key)
    {
        Assert.True(line.TryGetProperty("Scopes", out JsonElement scopes), $"no Scopes in {line}");
        foreach (JsonElement scope in scopes.EnumerateArray())
        {
            if (scope.ValueKind == JsonValueKind.Object && scope.TryGetProperty(key, out JsonElement v))
            {
                return v.GetString() ?? "";
            }
        }

        Assert.Fail($"no {key} in the scopes of {line}");
        return "";
    }
}
