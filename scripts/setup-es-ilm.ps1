# Put the Elasticsearch mail indices under the 90-day retention policy, for
# operators used to scripts. A thin wrapper over `applylens es`:
#   scripts/setup-es-ilm.ps1 [setup-ilm|verify|migrate|rollover|rollback] [options]
# With no command it runs setup-ilm and then verify. The cluster URL comes from
# APPLYLENS_ES_URL (default http://127.0.0.1:9200) or -EsUrl URL.
param(
    [string]$EsUrl = "",
    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]]$Arguments = @()
)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

$applylens = Join-Path ".venv" (Join-Path "Scripts" "applylens.exe")
if (-not (Test-Path $applylens)) { $applylens = Join-Path ".venv" (Join-Path "bin" "applylens") }
if (-not (Test-Path $applylens)) { $applylens = "applylens" }

$global = @()
if ($EsUrl) { $global = @("--es-url", $EsUrl) }

if ($Arguments.Count -eq 0) {
    & $applylens @global es setup-ilm
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    & $applylens @global es verify
    exit $LASTEXITCODE
}
& $applylens @global es @Arguments
exit $LASTEXITCODE
