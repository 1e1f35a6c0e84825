using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Authentication;

public static class AuthenticationServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="AuthenticationOptions"/> from "Ingress:Authentication" (validated at start-up, so a bad
    /// hash or key stops the service with a message naming the setting) and registers
    /// <see cref="SaslAuthenticator"/>, <see cref="SenderAuthorization"/>, <see cref="AuthenticationFailureTracker"/>
    /// and their parts as singletons.
    /// </summary>
    public static IServiceCollection AddSmtpAuthentication(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AuthenticationOptions>()
            .BindConfiguration(AuthenticationOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new UserDirectory(provider.GetRequiredService<IOptions<AuthenticationOptions>>()));
        services.TryAddSingleton<BearerTokenValidator>();
        services.TryAddSingleton<SaslAuthenticator>();
        services.TryAddSingleton<SenderAuthorization>();
        services.TryAddSingleton<AuthenticationFailureTracker>();
        return services;
    }
}
