using System.Text;
using EmailPipeline.Ingress.Authentication;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class PlainExchangeTests
{
    private readonly SaslAuthenticator _authenticator = TestAccounts.Authenticator();

    private static byte[] Message(string authzid, string authcid, string password) =>
        Encoding.UTF8.GetBytes($"{authzid}\0{authcid}\0{password}");

    [Fact]
    public async Task Initial_response_with_the_right_password_succeeds_with_the_directory_name()
    {
        ISaslExchange exchange = _authenticator.Begin("PLAIN");

        SaslStep step = await exchange.StepAsync(Message("", "ALICE@example.com", TestAccounts.AlicePassword));

        Assert.Equal(SaslStep.Success("alice@example.com"), step);
    }

    [Fact]
    public async Task Without_initial_response_the_server_sends_an_empty_challenge_first()
    {
        ISaslExchange exchange = _authenticator.Begin("plain");

        SaslStep challenge = await exchange.StepAsync(null);
        SaslStep result = await exchange.StepAsync(Message("", "bob@example.com", TestAccounts.BobPassword));

        Assert.Equal(SaslStepKind.Challenge, challenge.Kind);
        Assert.Empty(challenge.Challenge!);
        Assert.Equal(SaslStepKind.Succeeded, result.Kind);
        Assert.Equal("bob@example.com", result.UserName);
    }

    [Fact]
    public async Task Authzid_equal_to_authcid_is_accepted()
    {
        SaslStep step = await _authenticator.Begin("PLAIN")
            .StepAsync(Message("alice@example.com", "alice@example.com", TestAccounts.AlicePassword));

        Assert.Equal(SaslStepKind.Succeeded, step.Kind);
    }

    [Fact]
    public async Task Authzid_naming_another_user_fails_even_with_the_right_password()
    {
        SaslStep step = await _authenticator.Begin("PLAIN")
            .StepAsync(Message("bob@example.com", "alice@example.com", TestAccounts.AlicePassword));

        Assert.Equal(SaslStep.Failure, step);
    }

    [Fact]
    public async Task Wrong_password_fails()
    {
        SaslStep step = await _authenticator.Begin("PLAIN").StepAsync(Message("", "alice@example.com", "guess"));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Fact]
    public async Task Unknown_user_fails()
    {
        SaslStep step = await _authenticator.Begin("PLAIN").StepAsync(Message("", "mallory@example.com", TestAccounts.AlicePassword));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Fact]
    public async Task Token_only_user_cannot_use_a_password()
    {
        SaslStep step = await _authenticator.Begin("PLAIN").StepAsync(Message("", "carol@example.com", ""));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("alice@example.com")]
    [InlineData("\0alice@example.com")]
    [InlineData("\0\0password")]
    [InlineData("\0alice@example.com\0")]
    [InlineData("\0alice@example.com\0pass\0word")]
    public async Task Malformed_messages_fail(string message)
    {
        SaslStep step = await _authenticator.Begin("PLAIN").StepAsync(Encoding.UTF8.GetBytes(message));

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Fact]
    public async Task Invalid_utf8_in_the_user_name_fails()
    {
        SaslStep step = await _authenticator.Begin("PLAIN").StepAsync([0, 0xff, 0xfe, 0, (byte)'x']);

        Assert.Equal(SaslStepKind.Failed, step.Kind);
    }

    [Fact]
    public async Task A_finished_exchange_cannot_be_stepped_again()
    {
        ISaslExchange exchange = _authenticator.Begin("PLAIN");
        await exchange.StepAsync(Message("", "alice@example.com", "guess"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => exchange.StepAsync(Message("", "alice@example.com", TestAccounts.AlicePassword)));
    }

    [Fact]
    public async Task Unknown_user_costs_about_as_much_as_a_known_one()
    {
        // A decoy hash with the configured cost stands in for missing users; compare medians loosely.
        var users = new[] { new SmtpUser("slow@example.com", PasswordHash.Create("pw", 50_000), null, []) };
        SaslAuthenticator authenticator = TestAccounts.Authenticator(TestAccounts.Directory(users));
        async Task<TimeSpan> TimeAsync(string user)
        {
            var samples = new List<TimeSpan>();
            for (int i = 0; i < 5; i++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                await authenticator.Begin("PLAIN").StepAsync(Message("", user, "wrong"));
                samples.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start));
            }

            return samples.Order().ElementAt(2);
        }

        await TimeAsync("slow@example.com");
        TimeSpan known = await TimeAsync("slow@example.com");
        TimeSpan unknown = await TimeAsync("nobody@example.com");

        Assert.InRange(unknown.TotalMilliseconds, known.TotalMilliseconds / 3, known.TotalMilliseconds * 3);
    }
}
