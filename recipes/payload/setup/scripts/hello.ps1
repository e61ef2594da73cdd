Write-Host "imgbuild example: hello from PowerShell"
