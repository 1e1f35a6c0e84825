namespace EmailPipeline.Delivery.Lmtp;

/// <summary>One LMTP reply, continuation lines joined by a space.</summary>
public readonly record struct LmtpReply(int Code, string Text)
{
    public bool IsPositive => Code is >= 200 and < 400;
}
