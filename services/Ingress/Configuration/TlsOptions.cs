namespace EmailPipeline.Ingress.Configuration;

/// <summary>The server certificate. Bound from "Ingress:Tls". With no certificate configured a self-signed
/// one for <see cref="IngressOptions.HostName"/> is generated at start-up (fine for local runs and for
/// opportunistic STARTTLS between MTAs; use a real one for submission).</summary>
public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) file, or a PKCS#12 (.pfx/.p12) file.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key file when <see cref="CertificatePath"/> is PEM.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of a PKCS#12 file or an encrypted PEM key.</summary>
    public string? Password { get; set; }
}
