namespace EmailPipeline.Queue.State;

/// <summary>Where one recipient of one message is. Delivered, Bounced, Expired and Deleted are final.</summary>
public enum RecipientState
{
    /// <summary>Recorded; a DeliveryRequested is on its way or about to be.</summary>
    Queued = 0,

    /// <summary>Waiting in a delay queue for its next attempt.</summary>
    Deferred = 1,

    Delivered = 2,

    Bounced = 3,

    /// <summary>Deferred past the maximum queue lifetime.</summary>
    Expired = 4,

    /// <summary>Removed by the operator without a DSN (postsuper -d).</summary>
    Deleted = 5,
}

public static class RecipientStates
{
    public static bool IsFinal(this RecipientState state) =>
        state is RecipientState.Delivered or RecipientState.Bounced or RecipientState.Expired or RecipientState.Deleted;
}
