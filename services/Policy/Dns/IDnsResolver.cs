using System.Net;

namespace EmailPipeline.Policy.Dns;

/// <summary>
/// The DNS port of the policy checks. Names are absolute, without the trailing dot, compared case-insensitively.
/// Failures are outcomes, not exceptions; only cancellation throws.
/// </summary>
public interface IDnsResolver
{
    /// <summary>TXT records, each as its character-strings in wire order (callers join them as their RFC says).</summary>
    Task<DnsAnswer<IReadOnlyList<string>>> QueryTxtAsync(string name, CancellationToken cancellationToken);

    Task<DnsAnswer<IPAddress>> QueryAAsync(string name, CancellationToken cancellationToken);

    Task<DnsAnswer<IPAddress>> QueryAaaaAsync(string name, CancellationToken cancellationToken);

    Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken);

    /// <summary>PTR records of <paramref name="address"/>'s reverse name (<see cref="DnsNames.ReverseName"/>), without trailing dots.</summary>
    Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken);
}
