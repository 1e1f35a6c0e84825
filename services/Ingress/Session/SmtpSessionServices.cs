using EmailPipeline.Ingress.Authentication;
using EmailPipeline.Ingress.Configuration;
using EmailPipeline.Ingress.Hosting;
using EmailPipeline.Ingress.Queueing;
using EmailPipeline.Ingress.Telemetry;
using EmailPipeline.Ingress.Tls;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Session;

/// <summary>Everything a session needs from the host, resolved once (sessions are many and short).</summary>
internal sealed class SmtpSessionServices(
    IOptions<IngressOptions> ingress,
    IOptions<SmtpLimits> limits,
    IOptions<AuthenticationOptions> authentication,
    AcceptedDomains domains,
    SaslAuthenticator authenticator,
    SenderAuthorization senders,
    AuthenticationFailureTracker failures,
    ServerCertificate certificate,
    MessageAcceptance acceptance,
    BodyByteBudget bodyBudget,
    IngressMetrics metrics,
    SmtpServerLifetime lifetime,
    ILoggerFactory loggers)
{
    public IngressOptions Ingress { get; } = ingress.Value;

    public SmtpLimits Limits { get; } = limits.Value;

    public AuthenticationOptions Authentication { get; } = authentication.Value;

    public AcceptedDomains Domains { get; } = domains;

    public SaslAuthenticator Authenticator { get; } = authenticator;

    public SenderAuthorization Senders { get; } = senders;

    public AuthenticationFailureTracker Failures { get; } = failures;

    public ServerCertificate Certificate { get; } = certificate;

    public MessageAcceptance Acceptance { get; } = acceptance;

    public BodyByteBudget BodyBudget { get; } = bodyBudget;

    public IngressMetrics Metrics { get; } = metrics;

    public SmtpServerLifetime Lifetime { get; } = lifetime;

    public ILogger Logger { get; } = loggers.CreateLogger("EmailPipeline.Ingress.Session");
}
