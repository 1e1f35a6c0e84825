namespace EmailPipeline.Ingress.Authentication;

/// <summary>The mechanism names this server knows, as advertised after <c>AUTH</c> in EHLO.</summary>
public static class SaslMechanisms
{
    public const string Plain = "PLAIN";
    public const string Login = "LOGIN";
    public const string CramMd5 = "CRAM-MD5";
    public const string XOAuth2 = "XOAUTH2";
    public const string OAuthBearer = "OAUTHBEARER";
}
