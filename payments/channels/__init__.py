"""Payment channels shipped by the platform: WeChat Pay API v3 and Alipay (the card wallet is
contributed by ``citizen_card`` through the same ``zhushida_payment_channels`` hook)."""
