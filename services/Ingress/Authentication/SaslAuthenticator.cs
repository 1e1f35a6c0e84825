using Microsoft.Extensions.Logging;

namespace EmailPipeline.Ingress.Authentication;

/// <summary>
/// Starts SASL exchanges for AUTH commands. Offers only mechanisms the configuration can satisfy: PLAIN and
/// LOGIN when some user has a password hash, CRAM-MD5 when some user has a CRAM-MD5 secret, XOAUTH2 and
/// OAUTHBEARER when a token issuer is configured. Thread-safe; the exchanges it returns are not.
/// </summary>
public sealed class SaslAuthenticator
{
    private readonly UserDirectory _users;
    private readonly BearerTokenValidator _tokens;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    public SaslAuthenticator(UserDirectory users, BearerTokenValidator tokens, TimeProvider timeProvider, ILogger<SaslAuthenticator> logger)
    {
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _users = users;
        _tokens = tokens;
        _timeProvider = timeProvider;
        _logger = logger;

        var mechanisms = new List<string>();
        if (users.HasPasswords)
        {
            mechanisms.Add(SaslMechanisms.Plain);
            mechanisms.Add(SaslMechanisms.Login);
        }

        if (users.HasCramMd5Secrets)
        {
            mechanisms.Add(SaslMechanisms.CramMd5);
        }

        if (tokens.HasIssuers)
        {
            mechanisms.Add(SaslMechanisms.XOAuth2);
            mechanisms.Add(SaslMechanisms.OAuthBearer);
        }

        Mechanisms = mechanisms.AsReadOnly();
    }

    /// <summary>The mechanisms to advertise, in order of listing.</summary>
    public IReadOnlyList<string> Mechanisms { get; }

    /// <summary>
    /// A new exchange for <paramref name="mechanism"/> (case-insensitive), or null when it is unknown or not
    /// offered. <paramref name="serverName"/> is the host name used in the CRAM-MD5 challenge.
    /// </summary>
    public ISaslExchange? Begin(string mechanism, string serverName)
    {
        ArgumentNullException.ThrowIfNull(mechanism);
        ArgumentException.ThrowIfNullOrWhiteSpace(serverName);
        string? offered = Mechanisms.FirstOrDefault(name => name.Equals(mechanism, StringComparison.OrdinalIgnoreCase));
        return offered switch
        {
            SaslMechanisms.Plain => new PlainExchange(_users, _logger),
            SaslMechanisms.Login => new LoginExchange(_users, _logger),
            SaslMechanisms.CramMd5 => new CramMd5Exchange(_users, serverName, _timeProvider, _logger),
            SaslMechanisms.XOAuth2 => new BearerTokenExchange(SaslMechanisms.XOAuth2, """{"status":"401","schemes":"bearer","scope":""}"""u8.ToArray(), XOAuth2Message.TryParse, _users, _tokens, _logger),
            SaslMechanisms.OAuthBearer => new BearerTokenExchange(SaslMechanisms.OAuthBearer, """{"status":"invalid_token","schemes":"bearer","scope":""}"""u8.ToArray(), OAuthBearerMessage.TryParse, _users, _tokens, _logger),
            _ => null,
        };
    }
}
