using System.Collections.Concurrent;
using System.Net;

namespace EmailPipeline.Observability.Tests.Support;

/// <summary>One span as an OTLP exporter sent it.</summary>
public sealed record ReceivedSpan(
    string Service,
    string Scope,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    string Name,
    int Kind,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer.</summary>
    public const int Server = 2;
    public const int Client = 3;
    public const int Producer = 4;
    public const int Consumer = 5;

    public string? Attribute(string key) => Attributes.TryGetValue(key, out string? v) ? v : null;

    public override string ToString() => $"{Service} {Scope} '{Name}' kind {Kind} trace {TraceId} span {SpanId} parent {ParentSpanId}";
}

/// <summary>
/// An OTLP/HTTP receiver in the test (protobuf over HTTP POST to /v1/traces, /v1/metrics, /v1/logs), what the
/// services' OTLP exporter talks to when OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf: the spans are decoded
/// (<see cref="OtlpTraceDecoder"/>) and kept; metrics and logs are acknowledged and counted.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();
    private readonly Task _loop;
    private int _metricExports;
    private int _logExports;

    public OtlpReceiver(int port)
    {
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Endpoint => $"http://127.0.0.1:{Port}";

    public IReadOnlyList<ReceivedSpan> Spans => _spans.ToArray();

    public int MetricExports => _metricExports;

    public int LogExports => _logExports;

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (HttpListenerException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _listener.Close();
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            string path = context.Request.Url?.AbsolutePath ?? "";
            if (path.EndsWith("/v1/traces", StringComparison.Ordinal))
            {
                foreach (ReceivedSpan span in OtlpTraceDecoder.Decode(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }
            else if (path.EndsWith("/v1/metrics", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _metricExports);
            }
            else if (path.EndsWith("/v1/logs", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _logExports);
            }

            // An empty Export*ServiceResponse: full success.
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength64 = 0;
        }
        catch (FormatException)
        {
            context.Response.StatusCode = 400;
        }
        finally
        {
            context.Response.Close();
        }
    }
}
