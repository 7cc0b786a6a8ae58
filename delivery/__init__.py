"""Express delivery (快递跑代替群众跑): couriers, pickup of materials, delivery of results, tracking."""
