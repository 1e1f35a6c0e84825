namespace EmailPipeline.Ingress.Authentication;

/// <summary>A finished exchange is never reused: a step after success or failure is a bug in the session.</summary>
internal static class OneShot
{
    public static void ThrowIfFinished(bool finished, string mechanism)
    {
        if (finished)
        {
            throw new InvalidOperationException($"The {mechanism} exchange has finished; call SaslAuthenticator.Begin for a new AUTH command.");
        }
    }
}
