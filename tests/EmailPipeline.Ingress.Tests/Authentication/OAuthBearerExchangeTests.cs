using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class OAuthBearerExchangeTests
{
    private readonly SaslAuthenticator _authenticator = TestAccounts.Authenticator();

    private static byte[] Message(string gs2Header, string token) =>
        Encoding.UTF8.GetBytes($"{gs2Header}\u0001host=mail.example.com\u0001port=587\u0001auth=Bearer {token}\u0001\u0001");

    [Fact]
    public async Task Valid_token_with_matching_authzid_succeeds()
    {
        SaslStep step = await _authenticator.Begin("OAUTHBEARER").StepAsync(Message("n,a=carol@example.com,", TestTokens.Create()));

        Assert.Equal(SaslStep.Success("carol@example.com"), step);
    }

    [Fact]
    public async Task Without_authzid_the_token_user_is_the_identity()
    {
        SaslStep step = await _authenticator.Begin("OAUTHBEARER").StepAsync(Message("n,,", TestTokens.Create("bob@example.com", TestTokens.Hmac)));

        Assert.Equal(SaslStep.Success("bob@example.com"), step);
    }

    [Fact]
    public void Escaped_authzid_is_unescaped_per_rfc5801()
    {
        Assert.True(OAuthBearerExchangeParsing("n,a=a=2Cb=3Dc,", out string? user));
        Assert.Equal("a,b=c", user);
    }

    [Theory]
    [InlineData("expired")]
    [InlineData("wrong issuer")]
    [InlineData("wrong audience")]
    [InlineData("wrong signature")]
    [InlineData("user mismatch")]
    public async Task Rejected_token_gets_the_rfc7628_error_then_fails_after_the_clients_reply(string why)
    {
        string token = why switch
        {
            "expired" => TestTokens.Create(expiresIn: TimeSpan.FromMinutes(-3)),
            "wrong issuer" => TestTokens.Create(issuer: "https://evil.example.com"),
            "wrong audience" => TestTokens.Create(audience: "someone-else"),
            "wrong signature" => TestTokens.Create(credentials: TestTokens.Untrusted),
            _ => TestTokens.Create("alice@example.com"),
        };
        ISaslExchange exchange = _authenticator.Begin("OAUTHBEARER");

        SaslStep error = await exchange.StepAsync(Message("n,a=carol@example.com,", token));
        SaslStep result = await exchange.StepAsync("\u0001"u8.ToArray());

        Assert.Equal(SaslStepKind.Challenge, error.Kind);
        Assert.StartsWith("""{"status":"invalid_token",""", Encoding.UTF8.GetString(error.Challenge!), StringComparison.Ordinal);
        Assert.Equal(SaslStep.Failure, result);
    }

    [Fact]
    public async Task Token_expired_within_the_clock_skew_is_still_accepted()
    {
        SaslStep step = await _authenticator.Begin("OAUTHBEARER").StepAsync(Message("n,,", TestTokens.Create(expiresIn: TimeSpan.FromSeconds(-30))));

        Assert.Equal(SaslStepKind.Succeeded, step.Kind);
    }

    [Theory]
    [InlineData("p=tls-unique,a=carol@example.com,")]
    [InlineData("x,a=carol@example.com,")]
    [InlineData("n,carol@example.com,")]
    [InlineData("n,a=bad=escape,")]
    public async Task Unsupported_or_malformed_gs2_headers_fail(string header)
    {
        SaslStep step = await _authenticator.Begin("OAUTHBEARER").StepAsync(Message(header, TestTokens.Create()));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Theory]
    [InlineData("n,,\u0001host=x\u0001\u0001")]
    [InlineData("n,,auth=Bearer abc\u0001\u0001")]
    [InlineData("n,,\u0001auth=Bearer abc")]
    [InlineData("n,,\u0001noequals\u0001\u0001")]
    public async Task Messages_without_a_well_formed_bearer_token_fail(string message)
    {
        SaslStep step = await _authenticator.Begin("OAUTHBEARER").StepAsync(Encoding.UTF8.GetBytes(message));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    private static bool OAuthBearerExchangeParsing(string header, out string? user) =>
        OAuthBearerMessage.TryParse(Encoding.UTF8.GetBytes(header + "\u0001auth=Bearer t\u0001\u0001"), out user, out _, out _);
}
