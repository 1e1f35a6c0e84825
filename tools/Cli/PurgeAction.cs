namespace EmailPipeline.Cli;

/// <summary>What <c>deadletters purge</c> does with one dead letter.</summary>
public enum PurgeVerdict
{
    /// <summary>Its recipients are bounced: the publications go out (mandatory, confirmed), then the letter is removed.</summary>
    Bounced,

    /// <summary>Removed without a DSN: <c>--no-dsn</c>, or nothing in it is owed one (null sender, NOTIFY=NEVER,
    /// recipients already final). Its publications, if any, go out first.</summary>
    Removed,

    /// <summary>It cannot be read, so it cannot be bounced: left in the error queue (unless <c>--no-dsn</c>).</summary>
    Left,
}

/// <summary>The plan for one dead letter: a verdict, a line for the operator, and what to publish before removing it.</summary>
public sealed record PurgeAction(PurgeVerdict Verdict, string Description, IReadOnlyList<Publication> Publications)
{
    public static PurgeAction Bounce(string description, params Publication[] publications) => new(PurgeVerdict.Bounced, description, publications);

    public static PurgeAction Remove(string description, params Publication[] publications) => new(PurgeVerdict.Removed, description, publications);

    public static PurgeAction Leave(string description) => new(PurgeVerdict.Left, description, []);
}
