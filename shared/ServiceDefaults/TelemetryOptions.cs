namespace EmailPipeline.ServiceDefaults;

/// <summary>Bound from "Telemetry". The OTLP exporter is on when an endpoint is configured here or in
/// OTEL_EXPORTER_OTLP_ENDPOINT; the Prometheus scrape endpoint /metrics is on by default.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    public string? OtlpEndpoint { get; set; }

    public bool PrometheusEndpoint { get; set; } = true;
}
