using System.Net;

namespace EmailPipeline.Policy.Spf;

/// <summary>
/// One directive: qualifier result, mechanism and its arguments. <see cref="Domain"/> is null when the mechanism uses
/// the current domain; <see cref="Network"/> is set for ip4/ip6. Prefix lengths default to the full address.
/// </summary>
public sealed record SpfDirective(
    string Text,
    SpfResult Qualifier,
    SpfMechanism Mechanism,
    MacroString? Domain = null,
    IPAddress? Network = null,
    int Ip4Prefix = 32,
    int Ip6Prefix = 128);
