namespace EmailPipeline.Ingress.Authentication;

/// <summary>What the SMTP session does after one SASL step: send <c>334</c>, <c>235 2.7.0</c> or <c>535 5.7.8</c>.</summary>
public enum SaslStepKind
{
    Challenge,
    Succeeded,
    Failed,
}
