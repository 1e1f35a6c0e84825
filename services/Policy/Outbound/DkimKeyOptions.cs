namespace EmailPipeline.Policy.Outbound;

/// <summary>One signing key: the d= domain, the s= selector, and the PEM file holding the private key (PKCS#1
/// "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY", RSA or Ed25519). The algorithm follows from the key.</summary>
public sealed class DkimKeyOptions
{
    public string Domain { get; set; } = "";

    public string Selector { get; set; } = "";

    public string KeyFile { get; set; } = "";
}
