using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed partial class CramMd5ExchangeTests
{
    private readonly SaslAuthenticator _authenticator = TestAccounts.Authenticator();

    [GeneratedRegex(@"^<\d+\.\d+@mail\.example\.com>$")]
    private static partial Regex ChallengeShape();

    private static byte[] Answer(string user, string password, byte[] challenge) =>
        Encoding.UTF8.GetBytes($"{user} {Convert.ToHexStringLower(HMACMD5.HashData(Encoding.UTF8.GetBytes(password), challenge))}");

    [Fact]
    public void Rfc2195_example_verifies_against_a_secret_built_from_the_password()
    {
        UserDirectory directory = TestAccounts.Directory([new SmtpUser("tim", null, CramMd5Secret.FromPassword("tanstaaftanstaaf"), [])]);
        byte[] digest = Convert.FromHexString("b913a602c7eda7a495b4e6e7334d3890");

        SmtpUser? user = directory.VerifyCramMd5("tim", "<1896.697170952@postoffice.reston.mci.net>"u8, digest);

        Assert.Equal("tim", user?.Name);
    }

    [Fact]
    public async Task Challenge_has_the_rfc2195_shape_and_differs_each_time()
    {
        SaslStep first = await _authenticator.Begin("CRAM-MD5").StepAsync(null);
        SaslStep second = await _authenticator.Begin("CRAM-MD5").StepAsync(null);

        Assert.Matches(ChallengeShape(), Encoding.ASCII.GetString(first.Challenge!));
        Assert.NotEqual(first.Challenge, second.Challenge);
    }

    [Fact]
    public async Task Correct_digest_for_the_challenge_succeeds()
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        SaslStep challenge = await exchange.StepAsync(null);

        SaslStep result = await exchange.StepAsync(Answer("alice@example.com", TestAccounts.AlicePassword, challenge.Challenge!));

        Assert.Equal(SaslStep.Success("alice@example.com"), result);
    }

    [Fact]
    public async Task Upper_case_hex_digest_is_accepted()
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        byte[] challenge = (await exchange.StepAsync(null)).Challenge!;
        string hex = Convert.ToHexString(HMACMD5.HashData(Encoding.UTF8.GetBytes(TestAccounts.AlicePassword), challenge));

        SaslStep result = await exchange.StepAsync(Encoding.UTF8.GetBytes("alice@example.com " + hex));

        Assert.Equal(SaslStepKind.Succeeded, result.Kind);
    }

    [Fact]
    public async Task Digest_for_another_challenge_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        await exchange.StepAsync(null);

        SaslStep result = await exchange.StepAsync(Answer("alice@example.com", TestAccounts.AlicePassword, "<1.2@mail.example.com>"u8.ToArray()));

        Assert.Equal(SaslStepKind.Failed, result.Kind);
    }

    [Fact]
    public async Task Wrong_password_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        byte[] challenge = (await exchange.StepAsync(null)).Challenge!;

        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync(Answer("alice@example.com", "guess", challenge))).Kind);
    }

    [Fact]
    public async Task User_without_a_cram_md5_secret_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        byte[] challenge = (await exchange.StepAsync(null)).Challenge!;

        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync(Answer("bob@example.com", TestAccounts.BobPassword, challenge))).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice@example.com")]
    [InlineData(" b913a602c7eda7a495b4e6e7334d3890")]
    [InlineData("alice@example.com b913a602c7eda7a495b4e6e7334d389")]
    [InlineData("alice@example.com b913a602c7eda7a495b4e6e7334d38zz")]
    public async Task Malformed_answers_fail(string answer)
    {
        ISaslExchange exchange = _authenticator.Begin("CRAM-MD5");
        await exchange.StepAsync(null);

        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync(Encoding.UTF8.GetBytes(answer))).Kind);
    }

    [Fact]
    public async Task Initial_response_is_refused_because_the_server_speaks_first()
    {
        SaslStep result = await _authenticator.Begin("CRAM-MD5").StepAsync("alice@example.com 00"u8.ToArray());

        Assert.Equal(SaslStepKind.Failed, result.Kind);
    }
}
