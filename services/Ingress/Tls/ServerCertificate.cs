using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EmailPipeline.Ingress.Configuration;
using Microsoft.Extensions.Options;

namespace EmailPipeline.Ingress.Tls;

/// <summary>
/// The certificate the listeners present and the TLS settings (TLS 1.2 and 1.3 only). Loaded once at
/// start-up from Ingress:Tls, or generated self-signed for the host name when none is configured.
/// </summary>
internal sealed class ServerCertificate
{
    public ServerCertificate(IOptions<IngressOptions> ingress, IOptions<TlsOptions> tls, ILogger<ServerCertificate> logger)
    {
        TlsOptions o = tls.Value;
        if (string.IsNullOrWhiteSpace(o.CertificatePath))
        {
            Certificate = CreateSelfSigned(ingress.Value.HostName);
            IsSelfSigned = true;
            IngressLog.SelfSignedCertificate(logger, ingress.Value.HostName, Certificate.Thumbprint);
        }
        else
        {
            Certificate = Load(o);
        }

        AuthenticationOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(Certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
    }

    public X509Certificate2 Certificate { get; }

    public bool IsSelfSigned { get; }

    public SslServerAuthenticationOptions AuthenticationOptions { get; }

    private static X509Certificate2 Load(TlsOptions o)
    {
        string path = o.CertificatePath!;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Ingress:Tls:CertificatePath '{path}' does not exist.");
        }

        X509Certificate2 cert;
        if (path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase))
        {
            cert = X509CertificateLoader.LoadPkcs12FromFile(path, o.Password);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(o.KeyPath) || !File.Exists(o.KeyPath))
            {
                throw new InvalidOperationException("Ingress:Tls:KeyPath must name the PEM private key file of the PEM certificate.");
            }

            cert = string.IsNullOrEmpty(o.Password)
                ? X509Certificate2.CreateFromPemFile(path, o.KeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, o.Password, o.KeyPath);
        }

        if (!cert.HasPrivateKey)
        {
            throw new InvalidOperationException($"The certificate in '{path}' has no private key.");
        }

        // Re-import so the key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 CreateSelfSigned(string hostName)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostName);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 cert = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }
}
