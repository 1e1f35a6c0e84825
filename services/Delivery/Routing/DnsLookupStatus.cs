namespace EmailPipeline.Delivery.Routing;

/// <summary>What a DNS query said, reduced to what routing decides on.</summary>
public enum DnsLookupStatus
{
    /// <summary>Records of the type asked for exist.</summary>
    Found = 0,

    /// <summary>The name exists but has no records of that type (NODATA).</summary>
    NoRecords = 1,

    /// <summary>NXDOMAIN: the name does not exist. Permanent.</summary>
    NoSuchDomain = 2,

    /// <summary>Timeout, SERVFAIL, refused or a network error. Try again later.</summary>
    TemporaryFailure = 3,
}
