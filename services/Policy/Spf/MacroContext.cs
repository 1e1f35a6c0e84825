using System.Net;

namespace EmailPipeline.Policy.Spf;

/// <summary>The values behind the macro letters of one check (RFC 7208 §7.3). %{d} is passed per expansion.</summary>
internal sealed class MacroContext(
    IPAddress ip, string sender, string localPart, string senderDomain, string helo, string receiver,
    DateTimeOffset now, Func<string, CancellationToken, Task<string>> validatedName)
{
    public IPAddress Ip { get; } = ip;

    public string Sender { get; } = sender;

    public string LocalPart { get; } = localPart;

    public string SenderDomain { get; } = senderDomain;

    public string Helo { get; } = helo;

    public string Receiver { get; } = receiver;

    public DateTimeOffset Now { get; } = now;

    /// <summary>%{p}: needs DNS, so it is asked for only when a macro uses it.</summary>
    public Func<string, CancellationToken, Task<string>> ValidatedName { get; } = validatedName;
}
