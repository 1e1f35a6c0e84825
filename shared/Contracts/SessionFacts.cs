namespace EmailPipeline.Contracts;

/// <summary>What the ingress knew about the client when the message was accepted.</summary>
/// <param name="ClientAddress">The client's IP (after PROXY protocol, the real one).</param>
/// <param name="ClientPort">The client's source port.</param>
/// <param name="HeloName">The EHLO/HELO argument as given.</param>
/// <param name="Listener">The listener's name (e.g. "mx", "submission").</param>
/// <param name="Role">The listener's role: mx, submission or submissions.</param>
/// <param name="TlsProtocol">e.g. "TLSv1.3" when the session was encrypted, else null.</param>
/// <param name="TlsCipher">The negotiated cipher suite, or null.</param>
/// <param name="AuthenticatedUser">The SASL-authenticated user, or null.</param>
/// <param name="AuthenticationMechanism">The SASL mechanism used, or null.</param>
public sealed record SessionFacts(
    string ClientAddress,
    int ClientPort,
    string HeloName,
    string Listener,
    string Role,
    string? TlsProtocol,
    string? TlsCipher,
    string? AuthenticatedUser,
    string? AuthenticationMechanism)
{
    public bool IsTls => TlsProtocol is not null;

    public bool IsAuthenticated => AuthenticatedUser is not null;
}
