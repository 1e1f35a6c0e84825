using EmailPipeline.Ingress.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Tests.Authentication;

public sealed class AuthenticationOptionsValidationTests
{
    private static readonly string GoodHash = PasswordHash.Create("pw", PasswordHash.MinimumConfiguredIterations).Format();

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection()
            .AddSingleton(configuration)
            .AddLogging()
            .AddSmtpAuthentication()
            .BuildServiceProvider();
    }

    private static string ValidationMessage(Dictionary<string, string?> settings)
    {
        using ServiceProvider services = Services(settings);
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<AuthenticationOptions>>().Value);
        return string.Join("\n", error.Failures);
    }

    [Fact]
    public async Task Valid_configuration_binds_and_wires_every_service()
    {
        using ServiceProvider services = Services(new()
        {
            ["Ingress:Authentication:Users:0:Name"] = "alice@example.com",
            ["Ingress:Authentication:Users:0:PasswordHash"] = GoodHash,
            ["Ingress:Authentication:Users:0:CramMd5Secret"] = CramMd5Secret.FromPassword("pw").Format(),
            ["Ingress:Authentication:Users:0:Senders:0"] = "alice@example.com",
            ["Ingress:Authentication:Users:0:Senders:1"] = "@example.org",
            ["Ingress:Authentication:OAuth:Issuers:0:Issuer"] = TestAccounts.Issuer,
            ["Ingress:Authentication:OAuth:Issuers:0:Audiences:0"] = TestAccounts.Audience,
            ["Ingress:Authentication:OAuth:Issuers:0:SigningKeys:0"] = TestAccounts.RsaKey.ExportSubjectPublicKeyInfoPem(),
            ["Ingress:Authentication:AllowPlaintextAuthentication"] = "true",
            ["Ingress:Authentication:MaxFailuresPerClient"] = "7",
            ["Ingress:Authentication:FailureWindow"] = "00:05:00",
        });

        AuthenticationOptions options = services.GetRequiredService<IOptions<AuthenticationOptions>>().Value;
        SaslAuthenticator authenticator = services.GetRequiredService<SaslAuthenticator>();

        Assert.True(options.AllowPlaintextAuthentication);
        Assert.Equal(7, options.MaxFailuresPerClient);
        Assert.Equal(TimeSpan.FromMinutes(5), options.FailureWindow);
        Assert.Equal(TimeSpan.FromMinutes(2), options.OAuth.Issuers[0].ClockSkew);
        Assert.Equal("email", options.OAuth.Issuers[0].UserClaim);
        Assert.Equal(["PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"], authenticator.Mechanisms);
        Assert.True(services.GetRequiredService<SenderAuthorization>().MaySendAs("alice@example.com", "x@example.org"));
        Assert.False(services.GetRequiredService<AuthenticationFailureTracker>().IsBlocked(System.Net.IPAddress.Loopback));

        byte[] plain = System.Text.Encoding.UTF8.GetBytes("\0alice@example.com\0pw");
        SaslStep step = await authenticator.Begin("PLAIN", "mail.example.com")!.StepAsync(plain, TestContext.Current.CancellationToken);
        Assert.Equal(SaslStepKind.Succeeded, step.Kind);
    }

    [Fact]
    public void Empty_configuration_is_valid_and_offers_nothing()
    {
        using ServiceProvider services = Services([]);

        Assert.Empty(services.GetRequiredService<SaslAuthenticator>().Mechanisms);
        Assert.False(services.GetRequiredService<IOptions<AuthenticationOptions>>().Value.AllowPlaintextAuthentication);
    }

    [Fact]
    public void Plaintext_password_in_place_of_a_hash_names_the_setting_and_the_fix()
    {
        string message = ValidationMessage(new()
        {
            ["Ingress:Authentication:Users:0:Name"] = "alice@example.com",
            ["Ingress:Authentication:Users:0:PasswordHash"] = GoodHash,
            ["Ingress:Authentication:Users:1:Name"] = "bob@example.com",
            ["Ingress:Authentication:Users:1:PasswordHash"] = "hunter2",
        });

        Assert.Contains(
            "Ingress:Authentication:Users[1]:PasswordHash is not a $pbkdf2-sha256$ hash; make one with `dotnet run --project services/Ingress -- hash-password`",
            message,
            StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ingress:Authentication:Users:0:CramMd5Secret", "tanstaaf", "Users[0]:CramMd5Secret is not {CRAM-MD5}")]
    [InlineData("Ingress:Authentication:Users:0:Senders:0", "*@example.com", "Users[0]:Senders[0] '*@example.com' is not an address")]
    [InlineData("Ingress:Authentication:Users:1:Name", "ALICE@example.com", "Users[1]:Name 'ALICE@example.com' is listed twice")]
    [InlineData("Ingress:Authentication:Users:1:PasswordHash", "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==", "Users[1]:PasswordHash uses 1000 PBKDF2 iterations, fewer than 100000")]
    [InlineData("Ingress:Authentication:MaxFailuresPerClient", "0", "MaxFailuresPerClient must be between 1 and 10000")]
    [InlineData("Ingress:Authentication:FailureWindow", "00:00:00", "FailureWindow must be between")]
    public void Bad_settings_are_reported_with_their_path(string key, string value, string expected)
    {
        string message = ValidationMessage(new()
        {
            ["Ingress:Authentication:Users:0:Name"] = "alice@example.com",
            ["Ingress:Authentication:Users:0:PasswordHash"] = GoodHash,
            ["Ingress:Authentication:Users:1:PasswordHash"] = GoodHash,
            ["Ingress:Authentication:Users:1:Name"] = "bob@example.com",
            [key] = value,
        });

        Assert.Contains(expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void User_without_any_credential_is_reported()
    {
        string message = ValidationMessage(new() { ["Ingress:Authentication:Users:0:Name"] = "alice@example.com" });

        Assert.Contains("Users[0] has no PasswordHash or CramMd5Secret", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Issuer", "", "Issuers[0]:Issuer is required")]
    [InlineData("Audiences:0", "", "Issuers[0]:Audiences needs at least one")]
    [InlineData("SigningKeys:0", "base64:c2hvcnQ=", "Issuers[0]:SigningKeys[0] is a symmetric secret of 5 bytes; HS256 needs at least 32")]
    [InlineData("SigningKeys:0", "not a key", "Issuers[0]:SigningKeys[0] is neither a PEM public key nor a base64: symmetric secret")]
    [InlineData("SigningKeys:0", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", "Issuers[0]:SigningKeys[0] is a PEM 'PRIVATE KEY', not a public key")]
    [InlineData("UserClaim", "", "Issuers[0]:UserClaim is required")]
    [InlineData("ClockSkew", "01:00:00", "Issuers[0]:ClockSkew must be between")]
    public void Bad_issuer_settings_are_reported_with_their_path(string key, string value, string expected)
    {
        string message = ValidationMessage(new()
        {
            ["Ingress:Authentication:OAuth:Issuers:0:Issuer"] = TestAccounts.Issuer,
            ["Ingress:Authentication:OAuth:Issuers:0:Audiences:0"] = TestAccounts.Audience,
            ["Ingress:Authentication:OAuth:Issuers:0:SigningKeys:0"] = TestAccounts.RsaKey.ExportSubjectPublicKeyInfoPem(),
            ["Ingress:Authentication:OAuth:Issuers:0:" + key] = value,
        });

        Assert.Contains("Ingress:Authentication:OAuth:" + expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Private_key_material_is_never_accepted_as_a_signing_key()
    {
        string pem = TestAccounts.RsaKey.ExportPkcs8PrivateKeyPem();

        Assert.False(SigningKeyText.TryParse(pem, out _, out string? error));
        Assert.Contains("PRIVATE KEY", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rsa_pkcs1_and_ec_public_keys_are_accepted()
    {
        Assert.True(SigningKeyText.TryParse(TestAccounts.RsaKey.ExportRSAPublicKeyPem(), out _, out _));
        Assert.True(SigningKeyText.TryParse(TestAccounts.EcKey.ExportSubjectPublicKeyInfoPem(), out _, out _));
    }
}
