namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// One SASL exchange, created per AUTH command by <see cref="SaslAuthenticator.Begin"/>. Not thread-safe and
/// one-shot: once a step has succeeded or failed, further steps throw <see cref="InvalidOperationException"/>.
/// </summary>
public interface ISaslExchange
{
    /// <summary>The mechanism name as advertised, e.g. <c>PLAIN</c>.</summary>
    string Mechanism { get; }

    /// <summary>
    /// Feeds the client's next response. <paramref name="response"/> is <see langword="null"/> only on the first
    /// step, when AUTH carried no initial response; otherwise it is the base64-decoded client line (possibly
    /// empty, e.g. for an initial response of <c>=</c>). Cancellation and <c>*</c> are the session's business.
    /// </summary>
    ValueTask<SaslStep> StepAsync(ReadOnlyMemory<byte>? response, CancellationToken cancellationToken);
}
