namespace EmailPipeline.Policy.Dnsbl;

/// <summary>Block list (a listed client is refused) or allow list (a listed client skips the block lists).</summary>
public enum DnsListKind
{
    Block,
    Allow,
}
