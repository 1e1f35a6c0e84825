using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class XOAuth2ExchangeTests
{
    private readonly SaslAuthenticator _authenticator = TestAccounts.Authenticator();

    private static byte[] Message(string user, string token) => Encoding.UTF8.GetBytes($"user={user}\u0001auth=Bearer {token}\u0001\u0001");

    public static TheoryData<string, string> RejectedTokens => new()
    {
        { "expired", TestTokens.Create(expiresIn: TimeSpan.FromMinutes(-10)) },
        { "wrong issuer", TestTokens.Create(issuer: "https://evil.example.com") },
        { "wrong audience", TestTokens.Create(audience: "imap.example.com") },
        { "wrong signature", TestTokens.Create(credentials: TestTokens.Untrusted) },
        { "other issuer's key", TestTokens.Create(issuer: TestAccounts.OtherIssuer) },
        { "unsigned", TestTokens.CreateUnsigned() },
        { "no email claim", TestTokens.Create(claims: new() { ["sub"] = "carol@example.com" }) },
        { "not a jwt", "ya29.a0AfH6SMBx" },
        { "user not in directory", TestTokens.Create("dave@example.com") },
    };

    [Fact]
    public async Task Valid_rsa_signed_token_for_the_asserted_user_succeeds()
    {
        SaslStep step = await _authenticator.Begin("XOAUTH2").StepAsync(Message("carol@example.com", TestTokens.Create()));

        Assert.Equal(SaslStep.Success("carol@example.com"), step);
    }

    [Fact]
    public async Task Valid_hs256_token_succeeds_and_user_comparison_ignores_case()
    {
        string token = TestTokens.Create("Carol@Example.com", TestTokens.Hmac);

        SaslStep step = await _authenticator.Begin("XOAUTH2").StepAsync(Message("CAROL@example.COM", token));

        Assert.Equal(SaslStep.Success("carol@example.com"), step);
    }

    [Fact]
    public async Task Valid_es256_token_succeeds()
    {
        SaslStep step = await _authenticator.Begin("XOAUTH2").StepAsync(Message("alice@example.com", TestTokens.Create("alice@example.com", TestTokens.Ec)));

        Assert.Equal(SaslStepKind.Succeeded, step.Kind);
    }

    [Fact]
    public async Task Issuer_with_a_sub_user_claim_reads_the_user_from_sub()
    {
        string token = TestTokens.Create(
            credentials: new(new Microsoft.IdentityModel.Tokens.RsaSecurityKey(TestAccounts.OtherIssuerKey), "RS256"),
            issuer: TestAccounts.OtherIssuer,
            claims: new() { ["sub"] = "bob@example.com", ["email"] = "carol@example.com" });

        SaslStep step = await _authenticator.Begin("XOAUTH2").StepAsync(Message("bob@example.com", token));

        Assert.Equal(SaslStep.Success("bob@example.com"), step);
    }

    [Fact]
    public async Task Without_initial_response_an_empty_challenge_comes_first()
    {
        ISaslExchange exchange = _authenticator.Begin("XOAUTH2");

        SaslStep challenge = await exchange.StepAsync(null);
        SaslStep result = await exchange.StepAsync(Message("carol@example.com", TestTokens.Create()));

        Assert.Empty(challenge.Challenge!);
        Assert.Equal(SaslStepKind.Succeeded, result.Kind);
    }

    [Theory]
    [MemberData(nameof(RejectedTokens))]
    public async Task Rejected_token_gets_the_json_error_challenge_then_fails(string why, string token)
    {
        ISaslExchange exchange = _authenticator.Begin("XOAUTH2");

        SaslStep error = await exchange.StepAsync(Message(why == "user not in directory" ? "dave@example.com" : "carol@example.com", token));
        SaslStep result = await exchange.StepAsync([]);

        Assert.Equal(SaslStepKind.Challenge, error.Kind);
        Assert.Equal("""{"status":"401","schemes":"bearer","scope":""}""", Encoding.UTF8.GetString(error.Challenge!));
        Assert.Equal(SaslStep.Failure, result);
    }

    [Fact]
    public async Task Token_for_another_user_than_the_asserted_one_is_rejected()
    {
        ISaslExchange exchange = _authenticator.Begin("XOAUTH2");

        SaslStep error = await exchange.StepAsync(Message("alice@example.com", TestTokens.Create("carol@example.com")));

        Assert.Equal(SaslStepKind.Challenge, error.Kind);
        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync([])).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("user=carol@example.com\u0001\u0001")]
    [InlineData("auth=Bearer abc\u0001\u0001")]
    [InlineData("user=carol@example.com\u0001auth=Basic abc\u0001\u0001")]
    [InlineData("user=carol@example.com\u0001auth=Bearer abc")]
    public async Task Malformed_messages_fail_without_a_challenge(string message)
    {
        SaslStep step = await _authenticator.Begin("XOAUTH2").StepAsync(Encoding.UTF8.GetBytes(message));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }
}
