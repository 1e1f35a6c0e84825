namespace EmailPipeline.Policy.Outbound;

/// <summary>Messages allowed per clock minute and per clock hour. 0 means no limit for that window; null (in an
/// exception entry) means "as the default".</summary>
public sealed class SendingRate
{
    public int? PerMinute { get; set; }

    public int? PerHour { get; set; }
}
