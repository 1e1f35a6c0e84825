using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class LoginExchangeTests
{
    private readonly SaslAuthenticator _authenticator = TestAccounts.Authenticator();

    [Fact]
    public async Task Username_and_password_prompts_lead_to_success()
    {
        ISaslExchange exchange = _authenticator.Begin("LOGIN");

        SaslStep user = await exchange.StepAsync(null);
        SaslStep password = await exchange.StepAsync(Encoding.UTF8.GetBytes("alice@example.com"));
        SaslStep result = await exchange.StepAsync(Encoding.UTF8.GetBytes(TestAccounts.AlicePassword));

        Assert.Equal("Username:"u8.ToArray(), user.Challenge);
        Assert.Equal("Password:"u8.ToArray(), password.Challenge);
        Assert.Equal(SaslStep.Success("alice@example.com"), result);
    }

    [Fact]
    public async Task User_name_as_initial_response_skips_the_username_prompt()
    {
        ISaslExchange exchange = _authenticator.Begin("LOGIN");

        SaslStep password = await exchange.StepAsync(Encoding.UTF8.GetBytes("bob@example.com"));
        SaslStep result = await exchange.StepAsync(Encoding.UTF8.GetBytes(TestAccounts.BobPassword));

        Assert.Equal("Password:"u8.ToArray(), password.Challenge);
        Assert.Equal(SaslStepKind.Succeeded, result.Kind);
    }

    [Fact]
    public async Task Wrong_password_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("LOGIN");
        await exchange.StepAsync(Encoding.UTF8.GetBytes("alice@example.com"));

        SaslStep result = await exchange.StepAsync("nope"u8.ToArray());

        Assert.Equal(SaslStepKind.Failed, result.Kind);
    }

    [Fact]
    public async Task Empty_user_name_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("LOGIN");
        await exchange.StepAsync(null);

        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync([])).Kind);
    }

    [Fact]
    public async Task Empty_password_fails()
    {
        ISaslExchange exchange = _authenticator.Begin("LOGIN");
        await exchange.StepAsync(Encoding.UTF8.GetBytes("alice@example.com"));

        Assert.Equal(SaslStepKind.Failed, (await exchange.StepAsync([])).Kind);
    }
}
