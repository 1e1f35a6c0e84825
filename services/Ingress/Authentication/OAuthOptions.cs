namespace EmailPipeline.Ingress.Authentication;

/// <summary>Bearer-token authentication. With no issuers, XOAUTH2 and OAUTHBEARER are not offered.</summary>
public sealed class OAuthOptions
{
    public IList<OAuthIssuerOptions> Issuers { get; } = [];
}
