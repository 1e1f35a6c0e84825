namespace EmailPipeline.Policy.Outbound;

/// <summary>One counter to charge: what it counts (e.g. "user:alice@example.com"), its window and its limit.</summary>
internal sealed record SendingQuota(string Scope, TimeSpan Window, int Limit)
{
    public int WindowSeconds => (int)Window.TotalSeconds;

    /// <summary>Fixed windows aligned on the Unix epoch, so every replica puts a moment in the same window.</summary>
    public long WindowStart(DateTimeOffset now)
    {
        long seconds = now.ToUnixTimeSeconds();
        return seconds - (seconds % WindowSeconds);
    }

    public TimeSpan UntilReset(DateTimeOffset now) =>
        DateTimeOffset.FromUnixTimeSeconds(WindowStart(now) + WindowSeconds) - now;
}
