using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class SaslAuthenticatorTests
{
    [Fact]
    public void Full_configuration_offers_every_mechanism_in_order()
    {
        Assert.Equal(["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"], TestAccounts.Authenticator().Mechanisms);
    }

    [Fact]
    public void Token_mechanisms_are_not_offered_without_an_issuer()
    {
        SaslAuthenticator authenticator = TestAccounts.Authenticator(withIssuers: false);

        Assert.Equal(["PLAIN", "LOGIN", "CRAM-MD5"], authenticator.Mechanisms);
        Assert.Null(authenticator.Begin("XOAUTH2", "mail.example.com"));
        Assert.Null(authenticator.Begin("OAUTHBEARER", "mail.example.com"));
    }

    [Fact]
    public void Cram_md5_is_not_offered_when_no_user_has_a_secret()
    {
        UserDirectory directory = TestAccounts.Directory([new SmtpUser("bob@example.com", PasswordHash.Create("pw", 1_000), null, [])]);

        SaslAuthenticator authenticator = TestAccounts.Authenticator(directory, withIssuers: false);

        Assert.Equal(["PLAIN", "LOGIN"], authenticator.Mechanisms);
        Assert.Null(authenticator.Begin("CRAM-MD5", "mail.example.com"));
    }

    [Fact]
    public void Password_mechanisms_are_not_offered_when_no_user_has_a_password()
    {
        UserDirectory directory = TestAccounts.Directory([new SmtpUser("carol@example.com", null, null, ["*"])]);

        Assert.Equal(["XOAUTH2", "OAUTHBEARER"], TestAccounts.Authenticator(directory).Mechanisms);
    }

    [Theory]
    [InlineData("DIGEST-MD5")]
    [InlineData("SCRAM-SHA-256")]
    [InlineData("")]
    public void Unknown_mechanisms_get_no_exchange(string mechanism)
    {
        Assert.Null(TestAccounts.Authenticator().Begin(mechanism, "mail.example.com"));
    }

    [Theory]
    [InlineData("plain", "PLAIN")]
    [InlineData("Cram-Md5", "CRAM-MD5")]
    [InlineData("xoauth2", "XOAUTH2")]
    public void Mechanism_names_are_case_insensitive(string requested, string expected)
    {
        Assert.Equal(expected, TestAccounts.Authenticator().Begin(requested, "mail.example.com")?.Mechanism);
    }
}
