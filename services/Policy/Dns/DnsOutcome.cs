namespace EmailPipeline.Policy.Dns;

/// <summary>How one DNS query ended. Checks map these to their own results (SPF: NxDomain/NoData are void, TempError is temperror).</summary>
public enum DnsOutcome
{
    /// <summary>RCODE 0 with at least one answer of the asked type.</summary>
    Found,

    /// <summary>RCODE 0 and no answer of the asked type.</summary>
    NoData,

    /// <summary>RCODE 3: the name does not exist.</summary>
    NxDomain,

    /// <summary>Timeout, SERVFAIL, REFUSED, a broken response: asking again later may help.</summary>
    TempError,
}
