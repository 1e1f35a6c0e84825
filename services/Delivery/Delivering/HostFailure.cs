namespace EmailPipeline.Delivery.Delivering;

/// <summary>Why one host could not take the message before any transaction began: the next host is tried,
/// and if this was the last one, every recipient is deferred with it.</summary>
/// <param name="ReplyCode">The refusing reply (greeting, EHLO), or 0 when the host never answered.</param>
/// <param name="Status">Enhanced code, always of class 4: failures of one host never bounce.</param>
public sealed record HostFailure(string Host, int ReplyCode, string Status, string Diagnostic);
